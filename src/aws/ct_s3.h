/*-------------------------------------------------------------------------
 *
 * ct_s3.h
 *		S3 and CloudTrail-in-S3 helpers: trail key names, endpoints, signed
 *		requests, ListObjectsV2 and AWS error parsing.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_s3.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_S3_H
#define CT_S3_H

#include <stdbool.h>

#include "ct_buf.h"
#include "ct_sigv4.h"

/* ---- trail_key.c ---- */

typedef enum CtKeyKind
{
	CT_KEY_OTHER = 0,
	CT_KEY_LOG,					/* ..._CloudTrail_<region>_<stamp>_<uniq>.json.gz */
	CT_KEY_INSIGHT,				/* ..._CloudTrail-Insight_... */
	CT_KEY_DIGEST				/* ..._CloudTrail-Digest_... */
} CtKeyKind;

typedef struct CtTrailKey
{
	CtKeyKind	kind;
	char		account[16];
	char		region[32];
	long long	stamp;			/* delivery stamp, epoch seconds (UTC) */
} CtTrailKey;

extern bool ct_parse_trail_key(const char *key, CtTrailKey *out);
extern bool ct_trail_file_key(const char *key, const char *region_prefix, const char *account,
							  const char *region, bool insight, CtTrailKey *k);
extern void ct_trail_region_prefix(CtBuf *out, const char *prefix, const char *org,
								   const char *account, bool insight, const char *region);
extern void ct_trail_start_after(CtBuf *out, const char *region_prefix, const char *account,
								 bool insight, const char *region, long long from);
extern long long ct_timegm(int y, int mo, int d, int h, int mi, int s);

/* ---- s3.c ---- */

typedef struct CtEndpoint
{
	char	   *scheme;			/* "https" or "http" */
	char	   *host;			/* host name or address, no port */
	int			port;			/* 0: scheme default */
	char	   *base_path;		/* "" or "/something", no trailing slash */
} CtEndpoint;

extern bool ct_parse_endpoint(const char *url, CtEndpoint *ep, char *err, size_t errlen);
extern void ct_free_endpoint(CtEndpoint *ep);
extern bool ct_bucket_virtual_ok(const CtEndpoint *ep, const char *bucket);

/* A request ready for the HTTP layer: URL plus header lines. */
typedef struct CtPrepared
{
	CtBuf		url;
	char	   *headers[8];		/* "Name: value" lines, malloc'd */
	int			nheaders;
} CtPrepared;

extern bool ct_s3_prepare(CtPrepared *out, const CtEndpoint *ep, bool virtual_host,
						  const char *bucket, const char *key, const char *query,
						  const char *region, const CtCredentials *cred,
						  long long now, const char *range);
extern void ct_prepared_free(CtPrepared *p);
extern void ct_prepared_header(CtPrepared *p, const char *name, const char *value);
extern bool ct_prepared_ok(const CtPrepared *p);
extern void ct_endpoint_host(CtBuf *out, const CtEndpoint *ep, const char *label);
extern void ct_sign_into(CtPrepared *out, CtSignRequest *r, const CtCredentials *cred);

typedef struct CtS3Object
{
	char	   *key;
	long long	size;
} CtS3Object;

typedef struct CtS3ListPage
{
	CtS3Object *objects;
	int			nobjects;
	char	  **prefixes;		/* CommonPrefixes */
	int			nprefixes;
	bool		truncated;
	char	   *next_token;
} CtS3ListPage;

extern bool ct_s3_parse_list(const char *xml, size_t len, CtS3ListPage *page,
							 char *err, size_t errlen);
extern void ct_s3_free_list(CtS3ListPage *page);
extern void ct_s3_list_query(CtBuf *out, const char *prefix, const char *delimiter,
							 const char *start_after, const char *token, int max_keys);

/* An AWS error reply, from S3/STS XML or a JSON 1.1 body. */
typedef struct CtAwsError
{
	char		code[128];
	char		message[512];
	char		region[32];		/* S3 redirect hints */
	char		request_id[128];
} CtAwsError;

extern void ct_parse_aws_error(const char *body, size_t len, CtAwsError *e);
extern char *ct_xml_value(const char *xml, size_t len, const char *tag, const char **next);

#endif							/* CT_S3_H */

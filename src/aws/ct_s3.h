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
#include "ct_request.h"
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

/* ---- s3.c ---- */

extern bool ct_bucket_virtual_ok(const CtEndpoint *ep, const char *bucket);
extern bool ct_s3_prepare(CtPrepared *out, const CtEndpoint *ep, bool virtual_host,
						  const char *bucket, const char *key, const char *query,
						  const char *region, const CtCredentials *cred,
						  long long now, const char *range);

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
#endif							/* CT_S3_H */

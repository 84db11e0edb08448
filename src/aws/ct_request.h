/*-------------------------------------------------------------------------
 *
 * ct_request.h
 *		What every AWS request of the client layer shares: endpoints,
 *		prepared (signed) requests, the XML scanner, AWS error bodies.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_request.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_REQUEST_H
#define CT_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "ct_buf.h"
#include "ct_sigv4.h"

typedef struct CtEndpoint
{
	char	   *scheme;			/* "https" or "http" */
	char	   *host;			/* host name or address, no port */
	int			port;			/* 0: scheme default */
	char	   *base_path;		/* "" or "/something", no trailing slash */
} CtEndpoint;

extern bool ct_parse_endpoint(const char *url, CtEndpoint *ep, char *err, size_t errlen);
extern void ct_free_endpoint(CtEndpoint *ep);

/* A request ready for the HTTP layer: URL plus header lines. */
typedef struct CtPrepared
{
	CtBuf		url;
	char	   *headers[8];		/* "Name: value" lines, malloc'd */
	int			nheaders;
} CtPrepared;

extern void ct_prepared_free(CtPrepared *p);
extern void ct_prepared_header(CtPrepared *p, const char *name, const char *value);
extern bool ct_prepared_ok(const CtPrepared *p);
extern void ct_endpoint_host(CtBuf *out, const CtEndpoint *ep, const char *label);
extern void ct_sign_into(CtPrepared *out, CtSignRequest *r, const CtCredentials *cred);

typedef struct CtAwsError
{
	char		code[128];
	char		message[512];
	char		region[32];		/* S3 redirect hints */
	char		request_id[128];
} CtAwsError;

extern void ct_parse_aws_error(const char *body, size_t len, CtAwsError *e);
extern char *ct_xml_value(const char *xml, size_t len, const char *tag, const char **next);

extern char *ct_xml_decode(const char *s, size_t len);

/* epoch seconds of a UTC time (trail_key.c) */
extern long long ct_timegm(int y, int mo, int d, int h, int mi, int s);

#endif							/* CT_REQUEST_H */

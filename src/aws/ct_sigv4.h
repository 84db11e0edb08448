/*-------------------------------------------------------------------------
 *
 * ct_sigv4.h
 *		AWS Signature Version 4.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_sigv4.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_SIGV4_H
#define CT_SIGV4_H

#include "ct_buf.h"

#define CT_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

typedef struct CtCredentials
{
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;	/* NULL for long-term keys */
} CtCredentials;

typedef struct CtHeader
{
	const char *name;
	const char *value;
} CtHeader;

/*
 * One request to sign.  path and query are exactly what goes on the request
 * line (path already percent-encoded, query "k=v&k2=v2" without '?').
 * S3 ("s3" service) paths are not normalised, others are unless
 * no_normalize is set.
 */
typedef struct CtSignRequest
{
	const char *method;
	const char *path;
	const char *query;
	const CtHeader *headers;	/* must include host and x-amz-date */
	int			nheaders;
	const char *payload_hash;	/* lowercase hex SHA-256 of the body */
	const char *region;
	const char *service;
	const char *amz_date;		/* YYYYMMDDTHHMMSSZ */
	bool		no_normalize;	/* keep the path as is (always so for S3) */
} CtSignRequest;

extern void ct_sigv4_canonical_request(CtBuf *out, const CtSignRequest *r);
extern void ct_sigv4_string_to_sign(CtBuf *out, const CtSignRequest *r, const char *creq);
extern void ct_sigv4_signature(char hex[65], const char *secret, const CtSignRequest *r,
							   const char *sts);
extern void ct_sigv4_authorization(CtBuf *out, const CtCredentials *cred,
								   const CtSignRequest *r);
extern void ct_sha256_hex(char hex[65], const void *data, size_t len);
extern void ct_amz_date(char out[17], long long epoch);

#endif							/* CT_SIGV4_H */

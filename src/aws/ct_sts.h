/*-------------------------------------------------------------------------
 *
 * ct_sts.h
 *		STS AssumeRole: the request body and the credentials in the reply.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_sts.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_STS_H
#define CT_STS_H

#include "ct_request.h"

extern char *ct_sts_assume_role_body(const char *role_arn, const char *session_name,
									 const char *external_id, int duration);
extern bool ct_sts_parse(const char *xml, size_t len, CtCredentials *out,
						 long long *expiration, char *err, size_t errlen);
extern void ct_credentials_free(CtCredentials *c);
extern char *ct_sts_web_identity_body(const char *role_arn, const char *session_name,
									  const char *token);
extern bool ct_parse_json_credentials(const char *body, size_t len, CtCredentials *out,
									  long long *expiration, char *err, size_t errlen);
extern bool ct_parse_process_credentials(const char *body, size_t len, CtCredentials *out,
										 long long *expiration, char *err, size_t errlen);
extern bool ct_post_prepare(CtPrepared *out, const CtEndpoint *ep, const char *service,
							const char *content_type, const char *target, const char *body,
							const char *region, const CtCredentials *cred, long long now);

#endif							/* CT_STS_H */

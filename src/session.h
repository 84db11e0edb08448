/*-------------------------------------------------------------------------
 *
 * session.h
 *		The session layer: what every source uses to talk to AWS.
 *
 * A CtSession owns a scan's credentials and HTTP handle (freed by a reset
 * callback of the context it lives in), builds signed requests (S3 GET and
 * LIST, JSON-API calls of any service), judges each reply -- use it, send
 * it again now, send it again later, or fail -- and reports failures with
 * fixed message texts and the SQLSTATE that fits the AWS error code.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/session.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CTFDW_SESSION_H
#define CTFDW_SESSION_H

#include "cloudtrail_fdw.h"
#include "ct_http.h"

typedef struct CtSession CtSession;

/* How often, and how patiently, a request is tried again. */
typedef struct CtRetryPolicy
{
	int64		base_ms;		/* first backoff */
	int64		cap_ms;			/* longest backoff */
	int			max_attempts;	/* tries after the first */
	int64		max_wait_ms;	/* the backoff a scan may spend in all; -1: any */
	int64		waited_ms;		/* spent so far (reset by the caller) */
} CtRetryPolicy;

/* The state of one request's tries, kept by whoever sends it. */
typedef struct CtTry
{
	int			attempts;
	int64		retry_at;		/* ms (ctfdw_now_ms); 0: now */
} CtTry;

/* What a request was for: the subject of its error message. */
typedef enum CtOperation
{
	CT_OP_LIST,					/* bucket, name = prefix */
	CT_OP_GET,					/* bucket, name = key */
	CT_OP_LOOKUP,				/* name = region */
	CT_OP_CALL					/* name = what the call is, e.g. "ListPublicKeys in us-east-1" */
} CtOperation;

typedef struct CtWhat
{
	CtOperation op;
	const char *bucket;
	const char *name;
} CtWhat;

typedef enum CtVerdict
{
	CT_REPLY_DONE,				/* a success: the caller uses and frees the reply */
	CT_REPLY_AGAIN,				/* send it again now (credentials refreshed,
								 * or the bucket's region learnt) */
	CT_REPLY_LATER				/* send it again at try->retry_at */
} CtVerdict;

typedef struct CtSessionStats
{
	int64		requests;
	int64		retries;		/* retried after an error */
	int64		throttled;		/* retried after throttling */
} CtSessionStats;

extern CtSession *ctfdw_session_open(CtFdwOptions *opts, int max_connections,
									 const CtCredentials *given, MemoryContext cxt);
extern CtHttpReq *ctfdw_session_s3(CtSession *s, const char *key, const char *query,
								   const char *range, const char *if_match);
extern CtHttpReq *ctfdw_session_json(CtSession *s, CtService service, const char *region,
									 const char *target, char *body);
extern void ctfdw_session_start(CtSession *s, CtHttpReq *req);
extern CtHttpReq *ctfdw_session_send(CtSession *s, CtHttpReq *(*build) (void *arg), void *arg,
									 const CtWhat *what);
extern CtHttpReq *ctfdw_session_json_call(CtSession *s, CtService service, const char *region,
										  const char *target, const char *body,
										  const CtWhat *what);
extern void ctfdw_session_wait(CtSession *s, int timeout_ms);
extern CtHttpReq *ctfdw_session_next_done(CtSession *s);
extern CtVerdict ctfdw_session_judge(CtSession *s, CtHttpReq *req, CtTry *t,
									 CtRetryPolicy *p, const CtWhat *what);
extern const CtCredentials *ctfdw_session_credentials(CtSession *s);
extern CtSessionStats *ctfdw_session_stats(CtSession *s);
extern int64 ctfdw_now_ms(void);
extern int64 ctfdw_backoff_ms(int attempt, int64 base, int64 cap);

extern long ctfdw_http_once(CtFdwOptions *o, const char *method, const char *url,
							const char *const *headers, int nheaders, const char *post,
							long connect_ms, char **body, char *curl_err);

#endif							/* CTFDW_SESSION_H */

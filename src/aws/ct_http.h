/*-------------------------------------------------------------------------
 *
 * ct_http.h
 *		HTTP through libcurl's multi interface.
 *
 * Many requests run at once on one thread; the caller drives them with
 * ct_http_poll(), which returns at least every 100 ms so that the host can
 * react to a query cancel.  Response bodies of successful requests can be
 * streamed to a sink, which may ask to pause the transfer (flow control);
 * other bodies are kept, up to a cap, for error reporting.
 *
 * Nothing unsafe goes on the wire: a request whose URL or header lines hold
 * a control character (CR and LF would add headers or whole requests) is
 * refused.  It never reaches libcurl; it comes back from ct_http_poll()
 * finished, with "refused" set and the reason in curl_error.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_http.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_HTTP_H
#define CT_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "ct_buf.h"

typedef struct CtHttp CtHttp;
typedef struct CtHttpReq CtHttpReq;

/* A sink returns false to pause the transfer; ct_http_resume() restarts it. */
typedef bool (*CtHttpSink) (CtHttpReq *req, const char *data, size_t len);

/* Bytes a second below which a transfer counts as stalled (1 kB/s). */
#define CT_HTTP_MIN_SPEED 1024L

typedef struct CtHttpConfig
{
	long		connect_timeout_ms;
	long		stall_timeout_s;	/* abort a transfer slower than
									 * CT_HTTP_MIN_SPEED this long */
	bool		verify_tls;
	const char *ca_file;		/* NULL: the system's */
	long		max_host_connections;
} CtHttpConfig;

#define CT_HTTP_MAX_HEADERS 10
#define CT_HTTP_MAX_BODY (8 * 1024 * 1024)	/* default max_body */

struct CtHttpReq
{
	/* set by the caller */
	char	   *url;			/* malloc'd; freed with the request */
	char	   *headers[CT_HTTP_MAX_HEADERS];	/* malloc'd "Name: value" */
	int			nheaders;
	char	   *post_body;		/* malloc'd; NULL for GET */
	size_t		post_len;
	const char *method;			/* NULL: GET, or POST with a body */
	CtHttpSink	sink;			/* NULL: keep the body in "body" */
	void	   *arg;			/* for the caller */
	size_t		max_body;		/* kept body larger than this fails the
								 * request; 0: CT_HTTP_MAX_BODY */

	/* results */
	long		status;			/* HTTP status, 0 if none */
	int			curl_code;		/* CURLcode, 0 if the transfer completed */
	char		curl_error[256];
	CtBuf		body;			/* error bodies, or the whole body without sink */
	char		request_id[128];
	char		bucket_region[32];
	char		etag[128];
	char		date[64];		/* server Date header */
	char		meta_signature[2048];	/* x-amz-meta-signature, "" if none */
	char		meta_signature_algorithm[64];	/* x-amz-meta-signature-algorithm */
	long long	bytes;			/* body bytes received */
	bool		done;
	bool		paused;
	bool		refused;		/* never sent: an unsafe URL or header */
	bool		too_big;		/* the kept body went over max_body */

	struct CtHttpPrivate *priv; /* http.c's own */
};

extern CtHttp *ct_http_create(const CtHttpConfig *cfg);
extern void ct_http_destroy(CtHttp *http);
extern CtHttpReq *ct_http_request(const char *url);
extern bool ct_http_add_header(CtHttpReq *req, const char *line);
extern bool ct_http_start(CtHttp *http, CtHttpReq *req);
extern void ct_http_free(CtHttpReq *req);
extern int	ct_http_poll(CtHttp *http, int timeout_ms);
extern CtHttpReq *ct_http_next_done(CtHttp *http);
extern void ct_http_resume(CtHttpReq *req);
extern bool ct_http_retryable(const CtHttpReq *req, const char *aws_code);
extern bool ct_http_safe_value(const char *s);

#endif							/* CT_HTTP_H */

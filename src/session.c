/*-------------------------------------------------------------------------
 *
 * session.c
 *		The session layer: credentials, HTTP, retries and AWS errors for
 *		every source (the counterpart of postgres_fdw's connection.c).
 *
 * A scan opens one session, in its own memory context; the session lives
 * as long as the scan (rescans keep it), and a reset callback of that
 * context destroys its HTTP handle, so an ERROR anywhere leaks nothing.
 * Requests stay owned by whoever made them.
 *
 * Every reply goes through ctfdw_session_judge(): a success is handed back;
 * an S3 redirect to the bucket's region, or credentials that expired and
 * can be fetched anew, mean "send it again now"; a throttled or failed
 * request that may succeed later means "send it again then", with
 * exponential backoff, until the caller's policy runs out; anything else
 * is an ERROR (session_fail).
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/session.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <time.h>

#include "common/pg_prng.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ct_cloudtrail.h"
#include "ct_config.h"
#include "ct_s3.h"
#include "ct_sts.h"
#include "session.h"

#define MAX_REGION_REDIRECTS 3	/* region changes a session follows */

static void session_fail(CtSession *s, CtHttpReq *req, const CtWhat *what, double waited_s);

struct CtSession
{
	MemoryContext cxt;
	CtFdwOptions *opts;
	CtCredentials cred;
	CtHttp	   *http;
	/* S3: the endpoint and region requests are signed for (redirects move it) */
	CtEndpoint	s3_ep;
	char		s3_region[32];
	int			redirects;
	char		regions_seen[128];	/* for the error when there are too many */
	CtHttpReq  *single;			/* ctfdw_session_send's request in flight */
	CtSessionStats stats;
};

int64
ctfdw_now_ms(void)
{
	return GetCurrentTimestamp() / 1000;
}

/*
 * Exponential backoff with "equal jitter": between half and all of
 * base * 2^attempt, capped.
 */
int64
ctfdw_backoff_ms(int attempt, int64 base, int64 cap)
{
	int64		d = Min(base << Min(attempt, 10), cap);

	return d / 2 + (int64) (pg_prng_double(&pg_global_prng_state) * (d / 2));
}

/* ---------------------------------------------------------------- opening */

static void
session_cleanup(void *arg)
{
	CtSession  *s = arg;

	ct_http_free(s->single);
	s->single = NULL;
	if (s->http)
		ct_http_destroy(s->http);
	s->http = NULL;
	ct_free_endpoint(&s->s3_ep);
}

static CtHttp *
new_http(CtFdwOptions *o, long max_connections, long stall_s)
{
	CtHttpConfig cfg;
	CtHttp	   *http;

	memset(&cfg, 0, sizeof(cfg));
	cfg.connect_timeout_ms = o->connect_timeout_ms;
	cfg.stall_timeout_s = stall_s;
	cfg.verify_tls = o->verify_tls;
	cfg.ca_file = o->ca_file;
	cfg.max_host_connections = max_connections;
	if ((http = ct_http_create(&cfg)) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialize libcurl")));
	return http;
}

/* Sign S3 requests for this region, at s3_endpoint or the partition's host for it. */
static void
use_region(CtSession *s, const char *region)
{
	char	   *url = ctfdw_endpoint(s->opts, CT_SERVICE_S3, region);
	CtEndpoint	ep;
	char		err[256];

	if (!ct_parse_endpoint(url, &ep, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid S3 endpoint \"%s\"", url),
				 errdetail_internal("%s", err)));
	ct_free_endpoint(&s->s3_ep);
	s->s3_ep = ep;
	snprintf(s->s3_region, sizeof(s->s3_region), "%s", region);
}

/*
 * A session for a scan, in cxt: the credentials given (a parallel leader's)
 * or the user mapping's, and an HTTP handle with at most max_connections
 * connections to a host.
 */
CtSession *
ctfdw_session_open(CtFdwOptions *opts, int max_connections, const CtCredentials *given,
				   MemoryContext cxt)
{
	CtSession  *s = ctfdw_alloc_owned(cxt, sizeof(CtSession), session_cleanup);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	s->cxt = cxt;
	s->opts = opts;
	if (given)
	{
		s->cred.access_key_id = pstrdup(given->access_key_id);
		s->cred.secret_access_key = pstrdup(given->secret_access_key);
		s->cred.session_token = given->session_token ? pstrdup(given->session_token) : NULL;
	}
	else
		ctfdw_credentials(opts, &s->cred, false, cxt);
	if (opts->bucket)
		use_region(s, opts->region);
	s->http = new_http(opts, max_connections, opts->request_timeout_s);
	MemoryContextSwitchTo(old);
	return s;
}

const CtCredentials *
ctfdw_session_credentials(CtSession *s)
{
	return &s->cred;
}

CtSessionStats *
ctfdw_session_stats(CtSession *s)
{
	return &s->stats;
}

/* ---------------------------------------------------------------- requests */

static bool
virtual_host(CtSession *s)
{
	if (strcmp(s->opts->addressing, "path") == 0)
		return false;
	if (strcmp(s->opts->addressing, "virtual") == 0)
		return true;
	return ct_bucket_virtual_ok(&s->s3_ep, s->opts->bucket);
}

/* A request from prepared parts; the parts are freed. */
static CtHttpReq *
from_prepared(CtPrepared *p, const char *extra_header)
{
	CtHttpReq  *req = ct_http_request(p->url.data);

	for (int i = 0; req && i < p->nheaders; i++)
		ct_http_add_header(req, p->headers[i]);
	if (req && extra_header)
		ct_http_add_header(req, extra_header);
	ct_prepared_free(p);
	if (!req)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return req;
}

/*
 * A signed S3 GET of the table's bucket: an object (key) or a listing
 * (query), from byte range on, if it still has ETag if_match.
 */
CtHttpReq *
ctfdw_session_s3(CtSession *s, const char *key, const char *query, const char *range,
				 const char *if_match)
{
	CtPrepared	p;
	char	   *line = NULL;

	if (!ct_s3_prepare(&p, &s->s3_ep, virtual_host(s), s->opts->bucket, key, query,
					   s->s3_region, &s->cred, (long long) time(NULL), range))
	{
		ct_prepared_free(&p);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	if (if_match)
		line = psprintf("If-Match: %s", if_match);
	return from_prepared(&p, line);
}

static const char *
signing_name(CtService service)
{
	switch (service)
	{
		case CT_SERVICE_S3:
			return "s3";
		case CT_SERVICE_CLOUDTRAIL:
			return "cloudtrail";
		case CT_SERVICE_STS:
			return "sts";
	}
	return "unknown";
}

/*
 * A signed JSON-API call (AWS JSON 1.1) of service in region: X-Amz-Target
 * target, with body (malloc'd; the request takes it).
 */
CtHttpReq *
ctfdw_session_json(CtSession *s, CtService service, const char *region, const char *target,
				   char *body)
{
	char	   *url = ctfdw_endpoint(s->opts, service, region);
	CtEndpoint	ep;
	CtPrepared	p;
	CtHttpReq  *req;
	char		err[256];
	bool		ok;

	if (!ct_parse_endpoint(url, &ep, err, sizeof(err)))
	{
		free(body);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid endpoint \"%s\"", url),
				 errdetail_internal("%s", err)));
	}
	ok = ct_post_prepare(&p, &ep, signing_name(service), "application/x-amz-json-1.1", target,
						 body, region, &s->cred, (long long) time(NULL));
	ct_free_endpoint(&ep);
	if (!ok)
	{
		free(body);
		ct_prepared_free(&p);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	PG_TRY();
	{
		req = from_prepared(&p, NULL);
	}
	PG_CATCH();
	{
		free(body);
		PG_RE_THROW();
	}
	PG_END_TRY();
	req->post_body = body;
	req->post_len = strlen(body);
	return req;
}

void
ctfdw_session_start(CtSession *s, CtHttpReq *req)
{
	if (!ct_http_start(s->http, req))
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not start an HTTP request")));
	s->stats.requests++;
}

/*
 * Wait up to timeout_ms for network progress (the HTTP layer reports the
 * wait event); a cancel is served within about 100 ms.
 */
void
ctfdw_session_wait(CtSession *s, int timeout_ms)
{
	if (ct_http_poll(s->http, timeout_ms) < 0)
		CHECK_FOR_INTERRUPTS();
}

CtHttpReq *
ctfdw_session_next_done(CtSession *s)
{
	return ct_http_next_done(s->http);
}

/* ---------------------------------------------------------------- replies */

/* The region a request was signed for: Credential=<key>/<date>/<region>/... */
static void
signed_region(const CtHttpReq *req, char *out, size_t outlen)
{
	*out = '\0';
	for (int i = 0; i < req->nheaders; i++)
	{
		const char *c = strncmp(req->headers[i], "Authorization:", 14) == 0 ?
			strstr(req->headers[i], "Credential=") : NULL;
		const char *r = c ? strchr(c, '/') : NULL;

		r = r ? strchr(r + 1, '/') : NULL;
		if (r)
			snprintf(out, outlen, "%.*s", (int) strcspn(r + 1, "/"), r + 1);
	}
}

/*
 * S3 says the bucket is elsewhere: learn its region from the reply and sign
 * for it from now on.  True when the request is to be sent again.
 */
static bool
follow_region(CtSession *s, CtHttpReq *req, const CtAwsError *e)
{
	char		was[32];
	const char *region = req->bucket_region;

	if (req->status != 301 && req->status != 400)
		return false;
	if (strcmp(e->code, "PermanentRedirect") != 0 && strcmp(e->code, "AuthorizationHeaderMalformed") != 0)
		return false;
	if (!*region)
		region = e->region;
	if (!*region || !ctfdw_valid_region(region))
		return false;
	if (strcmp(region, s->s3_region) == 0)
	{
		/* signed before another reply moved the session there: send it again */
		signed_region(req, was, sizeof(was));
		return strcmp(was, s->s3_region) != 0;
	}
	/* a bucket that sends us back and forth is not followed for ever */
	if (!s->regions_seen[0])
		snprintf(s->regions_seen, sizeof(s->regions_seen), "%s", s->s3_region);
	if (strlen(s->regions_seen) + strlen(region) + 5 < sizeof(s->regions_seen))
		snprintf(s->regions_seen + strlen(s->regions_seen),
				 sizeof(s->regions_seen) - strlen(s->regions_seen), " -> %s", region);
	if (++s->redirects > MAX_REGION_REDIRECTS)
	{
		ct_http_free(req);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("bucket \"%s\" keeps redirecting to another region", s->opts->bucket),
				 errdetail("S3 sent the requests to another region %d times: %s.",
						   s->redirects, s->regions_seen),
				 errhint("A bucket is in one region; check s3_endpoint and what answers there.")));
	}
	use_region(s, region);
	return true;
}

static bool
is_throttling(const char *code)
{
	return strcmp(code, "ThrottlingException") == 0 || strcmp(code, "Throttling") == 0 ||
		strcmp(code, "SlowDown") == 0 || strcmp(code, "RequestLimitExceeded") == 0 ||
		strcmp(code, "TooManyRequestsException") == 0;
}

/*
 * What to do with a finished request.  Frees it unless the verdict is
 * CT_REPLY_DONE; ERROR when it failed for good.
 */
CtVerdict
ctfdw_session_judge(CtSession *s, CtHttpReq *req, CtTry *t, CtRetryPolicy *p, const CtWhat *what)
{
	CtAwsError e;

	if (req->curl_code == 0 && (req->status == 200 || req->status == 206))
	{
		t->attempts = 0;
		return CT_REPLY_DONE;
	}
	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if ((what->op == CT_OP_LIST || what->op == CT_OP_GET) && follow_region(s, req, &e))
	{
		ct_http_free(req);
		return CT_REPLY_AGAIN;
	}
	if (ctfdw_credentials_expired(s->opts, e.code) && t->attempts++ < s->opts->max_retries)
	{
		ct_http_free(req);
		ctfdw_credentials(s->opts, &s->cred, true, s->cxt);
		return CT_REPLY_AGAIN;
	}
	if (ct_http_retryable(req, e.code) && t->attempts < p->max_attempts)
	{
		int64		wait = ctfdw_backoff_ms(t->attempts, p->base_ms, p->cap_ms);

		if (p->max_wait_ms < 0 || p->waited_ms + wait <= p->max_wait_ms)
		{
			t->attempts++;
			p->waited_ms += wait;
			t->retry_at = ctfdw_now_ms() + wait;
			if (is_throttling(e.code))
				s->stats.throttled++;
			else
				s->stats.retries++;
			ct_http_free(req);
			return CT_REPLY_LATER;
		}
		session_fail(s, req, what, p->waited_ms / 1000.0);
	}
	session_fail(s, req, what, -1);
	return CT_REPLY_DONE;		/* keep the compiler quiet */
}

/*
 * One request, waited for: what build(arg) makes, sent again as
 * ctfdw_session_judge() says (credentials refreshed, region learnt, retries
 * with backoff).  Returns the successful reply, which the caller frees;
 * ERROR when it fails for good.  The request in flight belongs to the
 * session, which frees it if an ERROR or a cancel comes first.
 */
CtHttpReq *
ctfdw_session_send(CtSession *s, CtHttpReq *(*build) (void *arg), void *arg, const CtWhat *what)
{
	CtTry		t = {0, 0};
	CtRetryPolicy p = {500, 8000, s->opts->max_retries, -1, 0};

	for (;;)
	{
		CtHttpReq  *req;
		int64		now;

		while ((now = ctfdw_now_ms()) < t.retry_at)
		{
			CHECK_FOR_INTERRUPTS();
			pg_usleep(Min(t.retry_at - now, 100) * 1000L);
		}
		s->single = req = build(arg);
		ctfdw_session_start(s, req);
		while (!req->done)
		{
			ctfdw_session_wait(s, 100);
			(void) ctfdw_session_next_done(s);
		}
		s->single = NULL;
		if (ctfdw_session_judge(s, req, &t, &p, what) == CT_REPLY_DONE)
			return req;
	}
}

typedef struct JsonCall
{
	CtSession  *s;
	CtService	service;
	const char *region;
	const char *target;
	const char *body;
} JsonCall;

static CtHttpReq *
build_json(void *arg)
{
	JsonCall   *c = arg;
	char	   *copy = ct_strdup(c->body);

	if (!copy)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return ctfdw_session_json(c->s, c->service, c->region, c->target, copy);
}

/* One JSON-API call, waited for (ctfdw_session_send); the caller frees the reply. */
CtHttpReq *
ctfdw_session_json_call(CtSession *s, CtService service, const char *region, const char *target,
						const char *body, const CtWhat *what)
{
	JsonCall	c = {s, service, region, target, body};

	return ctfdw_session_send(s, build_json, &c, what);
}

/* ---------------------------------------------------------------- errors */

/* SQLSTATE of an AWS error code. */
static int
aws_sqlstate(const char *code)
{
	static const struct
	{
		const char *code;
		int			sqlstate;
	}			map[] = {
		{"NoSuchBucket", ERRCODE_FDW_TABLE_NOT_FOUND},
		{"NoSuchKey", ERRCODE_FDW_TABLE_NOT_FOUND},
		{"TrailNotFoundException", ERRCODE_FDW_TABLE_NOT_FOUND},
		{"InvalidTimeRangeException", ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE},
		{"InvalidLookupAttributesException", ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE},
		{"InvalidEventCategoryException", ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE},
		{"InvalidMaxResultsException", ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE},
		{"InvalidNextTokenException", ERRCODE_FDW_ERROR},
	};

	for (int i = 0; i < lengthof(map); i++)
		if (strcmp(map[i].code, code) == 0)
			return map[i].sqlstate;
	return ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
}

/* A time AWS sent that a timestamptz can hold, in the years AWS can be at. */
static bool
valid_utc(int y, int mo, int d, int h, int mi, int sec)
{
	return y >= 2000 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
		h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60;
}

/*
 * AWS's clock, when the error is about ours: S3's RequestTimeTooSkewed
 * gives ServerTime; the other services' "Signature expired ... (<their
 * time> - 15 min.)" give it in parentheses.  false if neither.
 */
static bool
aws_clock(const CtHttpReq *req, const CtAwsError *e, TimestampTz *aws_now)
{
	int			y,
				mo,
				d,
				h,
				mi,
				sec,
				n = 0;
	const char *paren;

	if (strcmp(e->code, "RequestTimeTooSkewed") == 0)
	{
		char	   *t = ct_xml_value(req->body.data, req->body.len, "ServerTime", NULL);

		/* "2026-11-21T10:15:00Z" or with fractions */
		if (t)
			n = sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec);
		free(t);
	}
	else if ((strncmp(e->message, "Signature expired", 17) == 0 ||
			  strncmp(e->message, "Signature not yet current", 25) == 0) &&
			 (paren = strrchr(e->message, '(')) != NULL)
		n = sscanf(paren + 1, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &sec);
	if (n != 6 || !valid_utc(y, mo, d, h, mi, sec))
		return false;
	*aws_now = time_t_to_timestamptz((pg_time_t) ct_timegm(y, mo, d, h, mi, sec));
	return true;
}

/*
 * errhint() for an error that says what to check: credentials AWS does not
 * know (or knows in another partition), permissions it denies; 0 otherwise.
 */
static int
refused_hint(CtSession *s, const char *code)
{
	static const char *const unknown_keys[] = {
		"InvalidAccessKeyId", "UnrecognizedClientException", "InvalidClientTokenId",
		"SignatureDoesNotMatch", "IncompleteSignature", NULL
	};
	static const char *const denied[] = {
		"AccessDenied", "AccessDeniedException", "AllAccessDisabled", NULL
	};

	for (int i = 0; unknown_keys[i]; i++)
		if (strcmp(code, unknown_keys[i]) == 0)
			return errhint("AWS does not know these credentials: check the user mapping. Keys work only in their partition; this server's region %s is in partition %s.",
						   s->opts->region, ct_partition(s->opts->region));
	for (int i = 0; denied[i]; i++)
		if (strcmp(code, denied[i]) == 0)
			return errhint("The credentials are valid but not allowed this: check the IAM policy of the identity in the user mapping (the README lists the permissions each table needs).");
	return 0;
}

/* errmsg() for the operation: one complete text each. */
static int
what_errmsg(const CtWhat *what)
{
	switch (what->op)
	{
		case CT_OP_LIST:
			return errmsg("could not list bucket \"%s\" prefix \"%s\"", what->bucket, what->name);
		case CT_OP_GET:
			return errmsg("could not read object \"%s\" from bucket \"%s\"", what->name, what->bucket);
		case CT_OP_LOOKUP:
			return errmsg("could not look up events in region %s", what->name);
		case CT_OP_CALL:
			break;
	}
	return errmsg("could not call %s", what->name);
}

/*
 * Report a failed request as an ERROR, and free it (what the message needs
 * is copied out first).  waited_s >= 0: retries gave up after that long.
 */
static void
session_fail(CtSession *s, CtHttpReq *req, const CtWhat *what, double waited_s)
{
	CtAwsError e;
	long		status = req->status;
	char	   *curl_error = req->curl_code ? pstrdup(req->curl_error) : NULL;
	int			curl_sqlstate = req->refused ? ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE :
		req->too_big ? ERRCODE_FDW_REPLY_HANDLE : ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
	TimestampTz aws_now = 0;
	bool		skewed;

	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if (!e.request_id[0])
		snprintf(e.request_id, sizeof(e.request_id), "%s", req->request_id[0] ? req->request_id : "none");
	skewed = aws_clock(req, &e, &aws_now);
	ct_http_free(req);

	if (curl_error)
		ereport(ERROR,
				(errcode(curl_sqlstate),
				 what_errmsg(what),
				 errdetail_internal("%s", curl_error),
				 waited_s >= 0 ?
				 errhint("Gave up after waiting %.1f s on throttling and errors (lookup_max_wait).", waited_s) :
				 curl_sqlstate == ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION ?
				 errhint("AWS could not be reached: check the server's options region and endpoint (or s3_endpoint), and that the database server can reach them.") : 0));
	if (skewed)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 what_errmsg(what),
				 errdetail("The database server's clock is off: AWS error %s (HTTP %ld, request id %s): %s",
						   e.code, status, e.request_id, e.message),
				 errhint("The server clock differs from AWS's by about %lld seconds; AWS accepts 15 minutes. Synchronise it (NTP).",
						 (long long) ((GetCurrentTimestamp() - aws_now) / USECS_PER_SEC))));
	ereport(ERROR,
			(errcode(aws_sqlstate(e.code)),
			 what_errmsg(what),
			 e.code[0] ?
			 errdetail("AWS error %s (HTTP %ld, request id %s): %s", e.code, status,
					   e.request_id, e.message) :
			 errdetail("HTTP status %ld (request id %s).", status, e.request_id),
			 waited_s >= 0 ?
			 errhint("Gave up after waiting %.1f s on throttling and errors (lookup_max_wait).", waited_s) :
			 refused_hint(s, e.code)));
}

/* ---------------------------------------------------------------- one-shot */

/*
 * One request, waited for: method (NULL: GET, or POST with post), headers,
 * a short stall timeout.  Returns the HTTP status with the body in *body
 * (palloc'd), or 0 if the transfer failed, with the reason in curl_err
 * (256 bytes).  For credential sources, which have no session yet.
 */
long
ctfdw_http_once(CtFdwOptions *o, const char *method, const char *url,
				const char *const *headers, int nheaders, const char *post,
				long connect_ms, char **body, char *curl_err)
{
	CtHttp	   *volatile http = NULL;
	CtHttpReq  *volatile req = NULL;
	long		status = 0;

	*body = NULL;
	PG_TRY();
	{
		CtFdwOptions quick = *o;

		quick.connect_timeout_ms = connect_ms;
		http = new_http(&quick, 1, 5);
		if ((req = ct_http_request(url)) == NULL)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		req->method = method;
		for (int i = 0; i < nheaders; i++)
			ct_http_add_header(req, headers[i]);
		if (post)
		{
			req->post_body = ct_strdup(post);
			req->post_len = strlen(post);
		}
		if (!ct_http_start(http, req))
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
		while (!req->done)
		{
			if (ct_http_poll(http, 100) < 0)
				CHECK_FOR_INTERRUPTS();
			(void) ct_http_next_done(http);
		}
		if (req->refused)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("could not get AWS credentials"),
					 errdetail_internal("%s", req->curl_error)));
		status = req->curl_code ? 0 : req->status;
		snprintf(curl_err, 256, "%s", req->curl_code ? req->curl_error : "");
		*body = pnstrdup(req->body.data ? req->body.data : "", req->body.len);
	}
	PG_FINALLY();
	{
		if (req)
			ct_http_free(req);
		ct_http_destroy(http);
	}
	PG_END_TRY();
	return status;
}

/*-------------------------------------------------------------------------
 *
 * http.c
 *		libcurl multi driver: concurrent requests, streaming, flow control,
 *		cancellation.
 *
 * Every CURL and curl_slist handle belongs to a CtHttpReq, and every
 * request in flight belongs to its CtHttp; ct_http_destroy() frees them
 * all, so the host needs one cleanup hook for the lot.
 *
 * Whatever built a request, this is the last place that sees it before the
 * wire: a URL or header line holding a control character is refused here
 * (see request_safe), and the path goes out as given (CURLOPT_PATH_AS_IS),
 * which is the path that was signed.  A body that is kept (not streamed to
 * a sink) is never cut short: past max_body the transfer fails.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/http.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "ct_host.h"
#include "ct_http.h"

struct CtHttp
{
	CURLM	   *multi;
	CtHttpConfig cfg;
	char	   *ca_file;
	int			active;
	CtHttpReq **live;			/* every started, unfinished request */
	int			nlive;
	int			live_cap;
	CtHttpReq  *done_head;
	CtHttpReq  *done_tail;
};

/* What a request holds of libcurl and of its multi handle. */
struct CtHttpPrivate
{
	CURL	   *easy;
	struct curl_slist *slist;
	CtHttp	   *owner;			/* started on it, not yet detached */
	CtHttpReq  *next_done;
};

/* A request and its private part, in one allocation. */
typedef struct CtHttpReqAlloc
{
	CtHttpReq	req;
	struct CtHttpPrivate priv;
} CtHttpReqAlloc;

static bool curl_ready;

CtHttp *
ct_http_create(const CtHttpConfig *cfg)
{
	CtHttp	   *http;

	if (!curl_ready)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return NULL;
		curl_ready = true;
	}
	http = calloc(1, sizeof(CtHttp));
	if (!http)
		return NULL;
	http->multi = curl_multi_init();
	if (!http->multi)
	{
		free(http);
		return NULL;
	}
	http->cfg = *cfg;
	http->ca_file = ct_strdup(cfg->ca_file);
	http->cfg.ca_file = http->ca_file;
	if (cfg->max_host_connections > 0)
	{
		curl_multi_setopt(http->multi, CURLMOPT_MAX_HOST_CONNECTIONS, cfg->max_host_connections);
		/* keep every connection for reuse, or the cache shrinks as handles go */
		curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS, cfg->max_host_connections + 4);
	}
	return http;
}

static void
detach(CtHttp *http, CtHttpReq *req)
{
	if (req->priv->easy)
	{
		curl_multi_remove_handle(http->multi, req->priv->easy);
		curl_easy_cleanup(req->priv->easy);
		req->priv->easy = NULL;
	}
	if (req->priv->slist)
	{
		curl_slist_free_all(req->priv->slist);
		req->priv->slist = NULL;
	}
	for (int i = 0; i < http->nlive; i++)
		if (http->live[i] == req)
		{
			http->live[i] = http->live[--http->nlive];
			break;
		}
}

void
ct_http_free(CtHttpReq *req)
{
	if (!req)
		return;
	if (req->priv->owner)
		detach(req->priv->owner, req);
	free(req->url);
	for (int i = 0; i < req->nheaders; i++)
		free(req->headers[i]);
	free(req->post_body);
	ct_buf_free(&req->body);
	free(req);
}

/* Frees the multi handle and every request still attached to it. */
void
ct_http_destroy(CtHttp *http)
{
	if (!http)
		return;
	while (http->nlive > 0)
	{
		CtHttpReq  *req = http->live[0];

		detach(http, req);
		req->priv->owner = NULL;
	}
	curl_multi_cleanup(http->multi);
	free(http->live);
	free(http->ca_file);
	free(http);
}

CtHttpReq *
ct_http_request(const char *url)
{
	CtHttpReqAlloc *a = calloc(1, sizeof(CtHttpReqAlloc));
	CtHttpReq  *req = a ? &a->req : NULL;

	if (!req)
		return NULL;
	req->priv = &a->priv;
	req->url = ct_strdup(url);
	if (!req->url)
	{
		free(req);
		return NULL;
	}
	return req;
}

bool
ct_http_add_header(CtHttpReq *req, const char *line)
{
	if (req->nheaders >= CT_HTTP_MAX_HEADERS)
		return false;
	req->headers[req->nheaders] = ct_strdup(line);
	return req->headers[req->nheaders++] != NULL;
}

/*
 * May s go into a header value?  No control character: CR and LF would end
 * the header and start another (or a whole second request), and NUL, DEL
 * and the rest have no business in anything AWS is sent.
 */
bool
ct_http_safe_value(const char *s)
{
	for (const unsigned char *p = (const unsigned char *) s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return false;
	return true;
}

/* RFC 9110 token characters, what a header name is made of */
static bool
token_char(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/*
 * Is every part of the request safe to send?  If not, say why in
 * req->curl_error, naming the header but never showing a value (it may be
 * a secret).
 */
static bool
request_safe(CtHttpReq *req)
{
	for (const unsigned char *p = (const unsigned char *) req->url; *p; p++)
		if (*p <= 0x20 || *p == 0x7f)
		{
			snprintf(req->curl_error, sizeof(req->curl_error),
					 "refused to send a request whose URL holds a control character or space");
			return false;
		}
	for (int i = 0; i < req->nheaders; i++)
	{
		const char *line = req->headers[i];
		size_t		n = 0;

		while (token_char((unsigned char) line[n]))
			n++;
		if (n == 0 || line[n] != ':')
		{
			snprintf(req->curl_error, sizeof(req->curl_error),
					 "refused to send a header line that does not start with a header name");
			return false;
		}
		if (!ct_http_safe_value(line + n + 1))
		{
			snprintf(req->curl_error, sizeof(req->curl_error),
					 "refused to send header \"%.*s\": its value holds a control character",
					 (int) (n > 64 ? 64 : n), line);
			return false;
		}
	}
	return true;
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	CtHttpReq  *req = arg;
	size_t		len = size * n;
	const char *colon = memchr(data, ':', len);
	size_t		nlen;
	const char *v,
			   *e;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0)
	{
		/* a new response (after 100-continue, say): forget the last one */
		req->request_id[0] = req->bucket_region[0] = req->etag[0] = '\0';
		req->meta_signature[0] = req->meta_signature_algorithm[0] = '\0';
		return len;
	}
	if (!colon)
		return len;
	nlen = (size_t) (colon - data);
	v = colon + 1;
	e = data + len;
	while (v < e && isspace((unsigned char) *v))
		v++;
	while (e > v && isspace((unsigned char) e[-1]))
		e--;
#define HDR(name, field) \
	if (nlen == strlen(name) && strncasecmp(data, name, nlen) == 0) \
		snprintf(req->field, sizeof(req->field), "%.*s", (int) (e - v), v)
	HDR("x-amz-request-id", request_id);
	HDR("x-amzn-RequestId", request_id);
	HDR("x-amz-bucket-region", bucket_region);
	HDR("ETag", etag);
	HDR("Date", date);
	HDR("x-amz-meta-signature", meta_signature);
	HDR("x-amz-meta-signature-algorithm", meta_signature_algorithm);
#undef HDR
	return len;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	CtHttpReq  *req = arg;
	size_t		len = size * n;

	if (req->status == 0)
		curl_easy_getinfo(req->priv->easy, CURLINFO_RESPONSE_CODE, &req->status);
	if (req->sink && req->status >= 200 && req->status < 300)
	{
		if (!req->sink(req, data, len))
		{
			req->paused = true;
			return CURL_WRITEFUNC_PAUSE;
		}
		req->bytes += len;
		return len;
	}
	req->bytes += len;
	if (req->too_big ||
		req->body.len + len > (req->max_body ? req->max_body : CT_HTTP_MAX_BODY))
	{
		/* never a body cut short, nor one with a hole: fail the transfer */
		req->too_big = true;
		return 0;
	}
	ct_buf_append(&req->body, data, len);
	if (req->body.failed)
		return 0;				/* fails the transfer: out of memory */
	return len;
}

/* A finished request joins the done queue, for ct_http_next_done(). */
static void
queue_done(CtHttp *http, CtHttpReq *req)
{
	req->done = true;
	req->priv->next_done = NULL;
	if (http->done_tail)
		http->done_tail->priv->next_done = req;
	else
		http->done_head = req;
	http->done_tail = req;
}

/*
 * Start a request.  false means out of memory.  A request that is not safe
 * to send (request_safe) is not started; it is put straight in the done
 * queue, refused, as if it had failed at once.
 */
bool
ct_http_start(CtHttp *http, CtHttpReq *req)
{
	CURL	   *c;
	struct curl_slist *sl = NULL;

	req->status = 0;
	req->done = false;
	req->paused = false;
	req->refused = false;
	req->too_big = false;
	req->curl_code = 0;
	req->curl_error[0] = '\0';
	req->bytes = 0;
	ct_buf_reset(&req->body);
	if (!request_safe(req))
	{
		req->refused = true;
		req->curl_code = CURLE_URL_MALFORMAT;
		queue_done(http, req);
		return true;
	}
	c = curl_easy_init();
	if (!c)
		return false;
	req->priv->easy = c;
	req->priv->owner = http;
	for (int i = 0; i < req->nheaders; i++)
	{
		struct curl_slist *t = curl_slist_append(sl, req->headers[i]);

		if (!t)
		{
			curl_slist_free_all(sl);
			curl_easy_cleanup(c);
			req->priv->easy = NULL;
			return false;
		}
		sl = t;
	}
	/* libcurl would add "Expect: 100-continue" to POSTs; AWS does not need it */
	sl = curl_slist_append(sl, "Expect:");
	req->priv->slist = sl;
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	/* send the path that was signed: no removal of "." and ".." segments */
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, req);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, req);
	curl_easy_setopt(c, CURLOPT_PRIVATE, req);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, req->curl_error);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, http->cfg.connect_timeout_ms);
	if (http->cfg.stall_timeout_s > 0)
	{
		/* slower than this for the whole stall timeout is a stall: a trickle too */
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, CT_HTTP_MIN_SPEED);
		curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, http->cfg.stall_timeout_s);
	}
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, http->cfg.verify_tls ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, http->cfg.verify_tls ? 2L : 0L);
	if (http->cfg.ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, http->cfg.ca_file);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "cloudtrail_fdw/1.0");
	if (req->method)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	if (req->post_body)
	{
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->post_body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long) req->post_len);
	}
	if (http->nlive == http->live_cap)
	{
		int			cap = http->live_cap ? http->live_cap * 2 : 16;
		CtHttpReq **p = realloc(http->live, cap * sizeof(CtHttpReq *));

		if (!p)
		{
			detach(http, req);
			return false;
		}
		http->live = p;
		http->live_cap = cap;
	}
	http->live[http->nlive++] = req;
	if (curl_multi_add_handle(http->multi, c) != CURLM_OK)
	{
		detach(http, req);
		return false;
	}
	return true;
}

void
ct_http_resume(CtHttpReq *req)
{
	if (req->paused && req->priv->easy)
	{
		req->paused = false;
		curl_easy_pause(req->priv->easy, CURLPAUSE_CONT);
	}
}

static void
collect(CtHttp *http)
{
	CURLMsg    *m;
	int			left;

	while ((m = curl_multi_info_read(http->multi, &left)) != NULL)
	{
		CtHttpReq  *req = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &req);
		req->curl_code = m->data.result;
		if (req->status == 0)
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &req->status);
		if (req->curl_code == CURLE_OK)
			req->curl_error[0] = '\0';
		else if (req->too_big)
			snprintf(req->curl_error, sizeof(req->curl_error),
					 "the reply is larger than %zu bytes",
					 req->max_body ? req->max_body : (size_t) CT_HTTP_MAX_BODY);
		else if (!req->curl_error[0])
			snprintf(req->curl_error, sizeof(req->curl_error), "%s",
					 curl_easy_strerror(m->data.result));
		detach(http, req);
		queue_done(http, req);
	}
}

/*
 * Drive transfers for at most timeout_ms, returning early when a request
 * finishes.  Returns -1 when the host asked to stop, else the number of
 * finished requests waiting in the done queue.
 */
int
ct_http_poll(CtHttp *http, int timeout_ms)
{
	int			waited = 0;

	for (;;)
	{
		int			running,
					n = 0;

		curl_multi_perform(http->multi, &running);
		collect(http);
		if (http->done_head)
			break;
		if (ct_interrupted())
			return -1;
		if (waited >= timeout_ms || http->nlive == 0)
			break;
		{
			int			slice = timeout_ms - waited < 100 ? timeout_ms - waited : 100;

			ct_wait_start();
			curl_multi_poll(http->multi, NULL, 0, slice, &n);
			ct_wait_end();
			waited += slice;	/* an upper bound; good enough for pacing */
		}
		if (ct_interrupted())
			return -1;
	}
	{
		int			n = 0;

		for (CtHttpReq *r = http->done_head; r; r = r->priv->next_done)
			n++;
		return n;
	}
}

CtHttpReq *
ct_http_next_done(CtHttp *http)
{
	CtHttpReq  *req = http->done_head;

	if (req)
	{
		http->done_head = req->priv->next_done;
		if (!http->done_head)
			http->done_tail = NULL;
		req->priv->next_done = NULL;
	}
	return req;
}

/* Worth another try?  Connection trouble, 5xx, 429 and the throttling codes. */
bool
ct_http_retryable(const CtHttpReq *req, const char *aws_code)
{
	static const char *codes[] = {
		"Throttling", "ThrottlingException", "ThrottledException",
		"RequestThrottledException", "TooManyRequestsException",
		"RequestLimitExceeded", "SlowDown", "RequestTimeout",
		"RequestTimeoutException", "PriorRequestNotComplete",
		"InternalError", "InternalFailure", "ServiceUnavailable", NULL
	};

	if (req->curl_code != 0)
	{
		switch (req->curl_code)
		{
			case CURLE_COULDNT_CONNECT:
			case CURLE_COULDNT_RESOLVE_HOST:
			case CURLE_OPERATION_TIMEDOUT:
			case CURLE_SEND_ERROR:
			case CURLE_RECV_ERROR:
			case CURLE_GOT_NOTHING:
			case CURLE_PARTIAL_FILE:
			case CURLE_HTTP2:
			case CURLE_HTTP2_STREAM:
			case CURLE_SSL_CONNECT_ERROR:
				return true;
			default:
				return false;
		}
	}
	if (req->status >= 500 || req->status == 429)
		return true;
	for (int i = 0; aws_code && codes[i]; i++)
		if (strcmp(aws_code, codes[i]) == 0)
			return true;
	return false;
}

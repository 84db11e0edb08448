/*-------------------------------------------------------------------------
 *
 * vstore.c
 *		What cloudtrail_validate() reads, and how: listings, digests and
 *		log files of a trail table's bucket or directory.
 *
 * S3 goes through the table's session (credentials of the caller's user
 * mapping, retries with backoff, region redirects, cancellation): a batch
 * of objects runs with at most max_concurrency GETs in flight on one
 * libcurl multi handle, a log file's bytes streaming into its
 * gunzip-and-SHA-256 as they arrive, a broken transfer resumed from the
 * byte where it broke (Range + If-Match).  A missing object, or one that
 * fails after the retries, is an outcome for its row, not an ERROR.
 * A directory is read on the spot, with store_dir.c's checks that nothing
 * outside it is listed or opened.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/vstore.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "validate.h"

#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS	5000
#define LIST_MAX_BODY	(4 * 1024 * 1024)
#define DIGEST_MAX_BODY (8 * 1024 * 1024)
#define FILE_CHUNK		(256 * 1024)

/* Reset callback: whatever malloc'd state the reads still hold. */
static void
vstore_cleanup(void *arg)
{
	VStore	   *v = arg;

	for (int i = 0; i < v->nlive; i++)
	{
		ct_http_free(v->live[i]->req);
		v->live[i]->req = NULL;
		ct_loghash_free(v->live[i]->lh);
		v->live[i]->lh = NULL;
	}
	v->nlive = 0;
}

VStore *
ctfdw_vstore_open(CtFdwOptions *opts, MemoryContext cxt)
{
	VStore	   *v;

	/* the session first: its callback runs after ours, once requests are freed */
	CtSession  *session = opts->bucket ?
		ctfdw_session_open(opts, opts->max_concurrency, NULL, cxt) : NULL;

	v = ctfdw_alloc_owned(cxt, sizeof(VStore), vstore_cleanup);
	v->cxt = cxt;
	v->opts = opts;
	v->session = session;
	v->live = MemoryContextAllocZero(cxt, sizeof(VObj *) * Max(opts->max_concurrency, 1));
	if (!opts->bucket)
	{
		v->dir = MemoryContextAllocZero(cxt, sizeof(CtTrailScan));
		v->dir->cxt = cxt;
		v->dir->opts = opts;
	}
	return v;
}

char *
ctfdw_vstore_url(VStore *v, const char *key)
{
	if (v->opts->bucket)
		return psprintf("s3://%s/%s", v->opts->bucket, key);
	return psprintf("%s/%s", v->opts->directory, key);
}

void
ctfdw_vstore_counters(VStore *v, int64 *requests, int64 *retries)
{
	CtSessionStats *ss = v->session ? ctfdw_session_stats(v->session) : NULL;

	*requests = ss ? ss->requests : v->lists + v->fetched;
	*retries = ss ? ss->retries + ss->throttled : 0;
}

static CtRetryPolicy
policy(VStore *v)
{
	CtRetryPolicy p = {BACKOFF_BASE_MS, BACKOFF_CAP_MS, v->opts->max_retries, -1, 0};

	return p;
}

/* ---------------------------------------------------------------- one at a time */

typedef struct ListArgs
{
	VStore	   *v;
	const char *prefix;
	bool		folders;
	const char *start_after;
	const char *token;
} ListArgs;

static CtHttpReq *
build_list(void *arg)
{
	ListArgs   *a = arg;
	VStore	   *v = a->v;
	CtBuf		q = CT_BUF_INIT;
	CtHttpReq  *req;

	ct_s3_list_query(&q, a->prefix, a->folders ? "/" : NULL, a->token ? NULL : a->start_after,
					 a->token, 1000);
	PG_TRY();
	{
		req = ctfdw_session_s3(v->session, NULL, q.data, NULL, NULL);
	}
	PG_FINALLY();
	{
		ct_buf_free(&q);
	}
	PG_END_TRY();
	req->max_body = LIST_MAX_BODY;
	return req;
}

/* One page of an S3 listing, parsed into page (palloc'd copies). */
static void
s3_page(VStore *v, ListArgs *a, CtS3ListPage *page)
{
	CtWhat		what = {CT_OP_LIST, v->opts->bucket, a->prefix};
	CtHttpReq  *req = ctfdw_session_send(v->session, build_list, a, &what);
	CtS3ListPage p;
	char		err[256];
	bool		ok = ct_s3_parse_list(req->body.data, req->body.len, &p, err, sizeof(err));

	v->bytes += req->bytes;
	ct_http_free(req);
	if (!ok)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not list bucket \"%s\" prefix \"%s\"", v->opts->bucket, a->prefix),
				 errdetail_internal("%s", err)));
	memset(page, 0, sizeof(*page));
	page->prefixes = palloc(sizeof(char *) * Max(p.nprefixes, 1));
	page->objects = palloc(sizeof(CtS3Object) * Max(p.nobjects, 1));
	for (int i = 0; i < p.nprefixes; i++)
		page->prefixes[i] = pstrdup(p.prefixes[i]);
	for (int i = 0; i < p.nobjects; i++)
		page->objects[i].key = pstrdup(p.objects[i].key);
	page->nprefixes = p.nprefixes;
	page->nobjects = p.nobjects;
	page->truncated = p.truncated;
	page->next_token = p.next_token ? pstrdup(p.next_token) : NULL;
	ct_s3_free_list(&p);
}

/*
 * List prefix: its subfolders (folders) or every key below it after
 * start_after, in order, each given to take until it returns false.
 */
void
ctfdw_vstore_list(VStore *v, const char *prefix, bool folders, const char *start_after,
				  bool (*take) (void *arg, const char *item), void *arg)
{
	ListArgs	a = {v, prefix, folders, start_after, NULL};
	MemoryContext page_cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "cloudtrail_validate listing",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(page_cxt);
	bool		more = true;

	while (more)
	{
		CtS3ListPage page;
		char	   *last = NULL;

		MemoryContextSwitchTo(page_cxt);
		if (v->session)
			s3_page(v, &a, &page);
		else
			ctfdw_dir_page(v->dir, prefix, folders, a.start_after, &page);
		v->lists++;
		MemoryContextSwitchTo(old);
		for (int i = 0; more && i < (folders ? page.nprefixes : page.nobjects); i++)
			more = take(arg, folders ? page.prefixes[i] : page.objects[i].key);
		if (!folders && page.nobjects > 0)
			last = MemoryContextStrdup(v->cxt, page.objects[page.nobjects - 1].key);
		more = more && page.truncated && (v->session ? page.next_token != NULL : last != NULL);
		a.token = more && v->session ? MemoryContextStrdup(v->cxt, page.next_token) : NULL;
		a.start_after = last;
		MemoryContextReset(page_cxt);
	}
	MemoryContextDelete(page_cxt);
}

/* A JSON-API call of CloudTrail in region (body malloc'd, taken); the reply, palloc'd. */
char *
ctfdw_vstore_call(VStore *v, const char *region, const char *target, char *body,
				  const char *what_text)
{
	CtWhat		what = {CT_OP_CALL, NULL, what_text};
	char	   *copy = pstrdup(body);
	CtHttpReq  *req;
	char	   *out;

	free(body);
	req = ctfdw_session_json_call(v->session, CT_SERVICE_CLOUDTRAIL, region, target, copy, &what);
	v->bytes += req->bytes;
	out = pnstrdup(req->body.data ? req->body.data : "", req->body.len);
	ct_http_free(req);
	return out;
}

/* ---------------------------------------------------------------- batches */

static void
live_add(VStore *v, VObj *o)
{
	v->live[v->nlive++] = o;
}

/* The object is read: out of the live set, its malloc'd state freed. */
static void
finish(VStore *v, VObj *o, VGetOutcome outcome, const char *detail)
{
	o->outcome = outcome;
	o->detail = detail ? MemoryContextStrdup(v->cxt, detail) : NULL;
	o->done = true;
	if (o->lh)
	{
		if (outcome == VGET_OK)
			ct_loghash_finish(o->lh, &o->hash);
		ct_loghash_free(o->lh);
		o->lh = NULL;
	}
	for (int i = 0; i < v->nlive; i++)
		if (v->live[i] == o)
		{
			v->live[i] = v->live[--v->nlive];
			break;
		}
	v->fetched++;
}

/* libcurl hands us a log file's bytes: into its hash, each byte once. */
static bool
log_sink(CtHttpReq *req, const char *data, size_t len)
{
	VObj	   *o = req->arg;
	int64		pos = (req->status == 206 ? o->req_offset : 0) + req->bytes;
	size_t		skip = 0;

	if (pos < o->received)
		skip = (size_t) Min((int64) len, o->received - pos);
	if (skip < len)
	{
		(void) ct_loghash_feed(o->lh, data + skip, len - skip);
		o->received += len - skip;
	}
	return true;
}

/* GET the object (a log file: from the first byte not yet hashed). */
static void
start_get(VStore *v, VObj *o)
{
	char		range[64];
	bool		resume = !o->whole && o->received > 0;

	if (!o->whole && !o->lh &&
		(o->lh = ct_loghash_new(v->opts->max_object_size)) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	o->req_offset = o->received;
	if (resume)
		snprintf(range, sizeof(range), "bytes=%lld-", (long long) o->received);
	o->req = ctfdw_session_s3(v->session, o->key, "", resume ? range : NULL,
							  resume && o->etag[0] ? o->etag : NULL);
	o->req->arg = o;
	if (o->whole)
		o->req->max_body = DIGEST_MAX_BODY;
	else
		o->req->sink = log_sink;
	ctfdw_session_start(v->session, o->req);
}

/* A reply that is not a success judged as the session judges, as an outcome. */
static CtVerdict
judge_quietly(VStore *v, VObj *o, CtHttpReq *req, char **detail)
{
	CtWhat		what = {CT_OP_GET, v->opts->bucket, o->key};
	CtRetryPolicy p = policy(v);
	MemoryContext old = CurrentMemoryContext;
	CtVerdict	verdict = CT_REPLY_DONE;

	*detail = NULL;
	PG_TRY();
	{
		verdict = ctfdw_session_judge(v->session, req, &o->try, &p, &what);
	}
	PG_CATCH();
	{
		ErrorData  *e;

		MemoryContextSwitchTo(old);
		e = CopyErrorData();
		if (e->sqlerrcode == ERRCODE_QUERY_CANCELED || e->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			PG_RE_THROW();
		FlushErrorState();
		*detail = e->detail ? psprintf("%s: %s", e->message, e->detail) : e->message;
	}
	PG_END_TRY();
	return verdict;
}

static void
get_reply(VStore *v, VObj *o, CtHttpReq *req)
{
	char	   *detail;

	o->req = NULL;
	v->bytes += req->bytes;
	if (!o->etag[0] && req->etag[0])
		snprintf(o->etag, sizeof(o->etag), "%s", req->etag);
	if (req->curl_code == 0 && req->status == 404)
	{
		ct_http_free(req);
		finish(v, o, VGET_NOT_FOUND, NULL);
		return;
	}
	switch (judge_quietly(v, o, req, &detail))
	{
		case CT_REPLY_DONE:
			if (detail)
			{
				finish(v, o, VGET_ERROR, detail);
				break;
			}
			if (o->whole)
			{
				o->body = MemoryContextAlloc(v->cxt, req->body.len + 1);
				memcpy(o->body, req->body.data ? req->body.data : "", req->body.len);
				o->body[req->body.len] = '\0';
				o->len = req->body.len;
				if (req->meta_signature[0])
					o->signature = MemoryContextStrdup(v->cxt, req->meta_signature);
				if (req->meta_signature_algorithm[0])
					o->signature_algorithm = MemoryContextStrdup(v->cxt, req->meta_signature_algorithm);
			}
			ct_http_free(req);
			finish(v, o, VGET_OK, NULL);
			break;
		case CT_REPLY_AGAIN:
			start_get(v, o);
			break;
		case CT_REPLY_LATER:
			break;				/* sent again at o->try.retry_at */
	}
}

/* Read a directory's file into the object: its body, or its hash. */
static void
dir_get(VStore *v, VObj *o)
{
	char	   *path = psprintf("%s/%s", v->opts->directory, o->key);
	char	   *buf;
	StringInfoData body;
	int			fd;
	ssize_t		n;

	if (!ctfdw_dir_inside(v->dir, o->key) ||
		(fd = OpenTransientFile(path, O_RDONLY | PG_BINARY)) < 0)
	{
		finish(v, o, VGET_NOT_FOUND, NULL);
		return;
	}
	live_add(v, o);
	if (!o->whole && (o->lh = ct_loghash_new(v->opts->max_object_size)) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	initStringInfo(&body);
	buf = palloc(FILE_CHUNK);
	while ((n = read(fd, buf, FILE_CHUNK)) > 0)
	{
		CHECK_FOR_INTERRUPTS();
		v->bytes += n;
		if (o->whole && body.len + n > DIGEST_MAX_BODY)
			break;
		if (o->whole)
			appendBinaryStringInfo(&body, buf, n);
		else
			(void) ct_loghash_feed(o->lh, buf, n);
	}
	CloseTransientFile(fd);
	pfree(buf);
	if (n != 0)
	{
		finish(v, o, VGET_ERROR, n < 0 ? "could not read the file" : "the digest file is too large");
		return;
	}
	o->body = body.data;
	o->len = body.len;
	finish(v, o, VGET_OK, NULL);
}

/* Read every object, at most max_concurrency at a time. */
void
ctfdw_vstore_get(VStore *v, VObj **objs, int n)
{
	int			next = 0;
	int			left = n;

	if (!v->session)
	{
		for (int i = 0; i < n; i++)
			dir_get(v, objs[i]);
		return;
	}
	while (left > 0)
	{
		CtHttpReq  *req;
		int64		now = ctfdw_now_ms();

		for (int i = 0; i < v->nlive; i++)
			if (!v->live[i]->req && v->live[i]->try.retry_at <= now)
				start_get(v, v->live[i]);
		while (next < n && v->nlive < Max(v->opts->max_concurrency, 1))
		{
			live_add(v, objs[next]);
			start_get(v, objs[next++]);
		}
		ctfdw_session_wait(v->session, 100);
		while ((req = ctfdw_session_next_done(v->session)) != NULL)
		{
			VObj	   *o = req->arg;

			get_reply(v, o, req);
			if (o->done)
				left--;
		}
	}
}

/*-------------------------------------------------------------------------
 *
 * store_s3.c
 *		The S3 object store of trail tables: LIST pages and GETs on the
 *		scan's session, all in flight at once.
 *
 * Each GET's body streams into its object's record reader; a transfer
 * whose reader has more than READ_AHEAD compressed bytes waiting is paused,
 * so memory stays bounded whatever the object sizes.  A failed transfer is
 * sent again from the byte where it broke (Range + If-Match), feeding the
 * same gunzip stream: no record is lost or returned twice.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/store_s3.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"

#include "trail.h"

#define READ_AHEAD		(1024 * 1024)	/* compressed bytes buffered per object */
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS	5000

/*
 * A page of 1,000 keys of at most 1,024 bytes, url-encoded, is under 3.5 MB:
 * a listing reply larger than LIST_MAX_BODY is an error, never a partial
 * page.
 */
#define LIST_MAX_BODY	(4 * 1024 * 1024)

static void
s3_open(CtTrailScan *s)
{
	CtCredentials leader;

	s->session = ctfdw_session_open(s->opts, s->opts->max_concurrency,
									ctfdw_shared_credentials(s, &leader) ? &leader : NULL,
									s->cxt);
}

static CtRetryPolicy
policy(CtTrailScan *s)
{
	CtRetryPolicy p = {BACKOFF_BASE_MS, BACKOFF_CAP_MS, s->opts->max_retries, -1, 0};

	return p;
}

/* ---------------------------------------------------------------- listing */

static void
s3_list(CtTrailScan *s, ListStream *st)
{
	CtBuf		q = CT_BUF_INIT;

	ct_s3_list_query(&q, ctfdw_list_prefix(st), ctfdw_list_folders(st) ? "/" : NULL,
					 st->start_after, st->token, 1000);
	PG_TRY();
	{
		st->req = ctfdw_session_s3(s->session, NULL, q.data, NULL, NULL);
	}
	PG_FINALLY();
	{
		ct_buf_free(&q);
	}
	PG_END_TRY();
	st->req->arg = st;
	st->req->max_body = LIST_MAX_BODY;
	ctfdw_session_start(s->session, st->req);
	s->stats.lists++;
}

static void
list_reply(CtTrailScan *s, ListStream *st, CtHttpReq *req)
{
	CtWhat		what = {CT_OP_LIST, s->opts->bucket, ctfdw_list_prefix(st)};
	CtRetryPolicy p = policy(s);
	CtS3ListPage page;
	char		err[256];

	st->req = NULL;
	if (ctfdw_session_judge(s->session, req, &st->try, &p, &what) != CT_REPLY_DONE)
		return;					/* listed again, now or at st->try.retry_at */
	if (!ct_s3_parse_list(req->body.data, req->body.len, &page, err, sizeof(err)))
	{
		ct_http_free(req);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("could not list bucket \"%s\" prefix \"%s\"", s->opts->bucket,
						ctfdw_list_prefix(st)),
				 errdetail_internal("%s", err)));
	}
	PG_TRY();
	{
		ctfdw_take_page(s, st, &page);
	}
	PG_FINALLY();
	{
		ct_s3_free_list(&page);
		ct_http_free(req);
	}
	PG_END_TRY();
}

/* ---------------------------------------------------------------- objects */

/* libcurl hands us body bytes: into the reader, or pause. */
static bool
object_sink(CtHttpReq *req, const char *data, size_t len)
{
	ObjState   *o = req->arg;
	int64		pos;
	size_t		skip = 0;

	if (ct_rr_backlog(o->rr) > READ_AHEAD)
		return false;
	/* where this chunk sits in the object (a server may ignore Range) */
	pos = (req->status == 206 ? o->req_offset : 0) + req->bytes;
	if (pos < o->received)
		skip = (size_t) Min((int64) len, o->received - pos);
	if (skip < len)
	{
		if (!ct_rr_push(o->rr, data + skip, len - skip))
			return true;		/* out of memory: the reader reports it */
		o->received += len - skip;
	}
	return true;
}

/* GET the object, from the first byte not yet read. */
static void
s3_fetch(CtTrailScan *s, ObjState *o)
{
	char		range[64];

	o->req_offset = o->received;
	if (o->received > 0)
		snprintf(range, sizeof(range), "bytes=%lld-", (long long) o->received);
	o->req = ctfdw_session_s3(s->session, o->key, "", o->received > 0 ? range : NULL,
							  o->received > 0 && o->etag[0] ? o->etag : NULL);
	o->req->sink = object_sink;
	o->req->arg = o;
	ctfdw_session_start(s->session, o->req);
}

static void
object_reply(CtTrailScan *s, ObjState *o, CtHttpReq *req)
{
	CtWhat		what = {CT_OP_GET, s->opts->bucket, o->key};
	CtRetryPolicy p = policy(s);

	o->req = NULL;
	/* a retry resumes only the same version of the object */
	if (!o->etag[0] && req->etag[0])
		snprintf(o->etag, sizeof(o->etag), "%s", req->etag);
	switch (ctfdw_session_judge(s->session, req, &o->try, &p, &what))
	{
		case CT_REPLY_DONE:
			o->body_done = true;
			ct_rr_set_eof(o->rr);
			ct_http_free(req);
			break;
		case CT_REPLY_AGAIN:
			s3_fetch(s, o);
			break;
		case CT_REPLY_LATER:
			break;				/* the engine sends it at o->try.retry_at */
	}
}

/* The reader has taken what it had: let a paused transfer go on. */
static void
s3_feed(CtTrailScan *s, ObjState *o)
{
	if (o->req && o->req->paused)
		ct_http_resume(o->req);
}

/* Wait for the network, and take what finished. */
static void
s3_wait(CtTrailScan *s, int timeout_ms)
{
	CtHttpReq  *req;

	ctfdw_session_wait(s->session, timeout_ms);
	while ((req = ctfdw_session_next_done(s->session)) != NULL)
	{
		/* list requests point at a ListStream, object requests at an ObjState */
		if (ctfdw_is_active(s, req->arg))
			object_reply(s, (ObjState *) req->arg, req);
		else
			list_reply(s, (ListStream *) req->arg, req);
	}
}

static void
s3_release(ObjState *o)
{
	ct_http_free(o->req);
	o->req = NULL;
}

static void
s3_release_stream(ListStream *st)
{
	ct_http_free(st->req);
	st->req = NULL;
}

static char *
s3_name(CtTrailScan *s, const char *key)
{
	return psprintf("s3://%s/%s", s->opts->bucket, key);
}

const CtStoreRoutine ctfdw_s3_store = {
	.concurrent = true,
	.open = s3_open,
	.list = s3_list,
	.fetch = s3_fetch,
	.feed = s3_feed,
	.wait = s3_wait,
	.release = s3_release,
	.release_stream = s3_release_stream,
	.name = s3_name,
};

/*-------------------------------------------------------------------------
 *
 * scan.c
 *		Reading a trail: listing, pruning, concurrent fetching and streaming
 *		of CloudTrail log files from S3 or from a local copy.
 *
 * A scan works through three kinds of listing stream:
 *
 *	root	  [prefix/]AWSLogs/[org/]   delimiter '/': the account folders
 *	account   .../<acct>/CloudTrail/    delimiter '/': the region folders
 *	files	  .../<acct>/CloudTrail/<region>/ with start-after: the log files
 *
 * Accounts and regions named by the table options or the WHERE clause skip
 * the first two.  A files stream starts after the first file that can hold
 * an event of the time window and stops at the first file delivered after
 * its end (plus max_delivery_delay): key names sort by delivery time.
 *
 * Listed files wait in a queue; up to max_concurrency GETs run at once on
 * one libcurl multi handle.  Each body streams through its own record
 * reader; a transfer whose reader has more than READ_AHEAD compressed bytes
 * waiting is paused, so memory stays bounded whatever the object sizes.
 * A failed transfer is retried with backoff from the byte where it broke
 * (Range + If-Match), feeding the same gunzip stream: no record is lost or
 * returned twice.  Listing stops while QUEUE_LIMIT files wait.
 *
 * Every malloc'd thing (CtHttp, readers, requests, open files) hangs off
 * the CtS3Scan, whose memory context has a reset callback that frees them,
 * so an ERROR anywhere leaks nothing.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/scan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <dirent.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "common/hashfn.h"
#include "common/pg_prng.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/spin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cloudtrail_fdw.h"
#include "ct_http.h"
#include "ct_records.h"
#include "ct_s3.h"

#define READ_AHEAD		(1024 * 1024)	/* compressed bytes buffered per object */
#define QUEUE_LIMIT		10000	/* listed files waiting before listing pauses */
#define FILE_CHUNK		(256 * 1024)	/* read size for directory tables */
#define BACKOFF_BASE_MS 100
#define BACKOFF_CAP_MS	5000

/*
 * A page of 1,000 keys of at most 1,024 bytes, url-encoded, is under 3.5 MB:
 * a listing reply larger than LIST_MAX_BODY is an error, never a partial
 * page.  At most LISTS_IN_FLIGHT list requests run at once, whatever
 * max_concurrency (GETs) is, so listings hold at most 16 MB.
 */
#define LIST_MAX_BODY	(4 * 1024 * 1024)
#define LISTS_IN_FLIGHT 4
#define MAX_REGION_REDIRECTS 3	/* region changes a scan follows */

/*
 * Parallel scans.  Every participant lists the same streams the same way
 * (listing is deterministic, and LISTs are a thousandth of the GETs); the
 * objects of a files stream are numbered in listing order, and a shared
 * counter per stream hands out those numbers as tickets.  A participant
 * fetches an object only when its number is the ticket it holds, so each
 * object is read by exactly one participant.  Tickets are taken when a
 * participant has room to fetch, not when it lists, so the work goes to
 * whoever is free.
 */
#define CT_PARALLEL_STREAMS 16384

typedef struct CtSharedStream
{
	uint64		hash;			/* of the stream's prefix; 0: free */
	pg_atomic_uint64 next;		/* next object number to hand out */
} CtSharedStream;

#define SHARED_CRED_SIZE 8192

struct CtShared
{
	slock_t		mutex;			/* protects slot allocation */
	CtSharedStream streams[CT_PARALLEL_STREAMS];

	/*
	 * The leader's credentials, so that workers need not fetch their own
	 * (an AssumeRole per worker per query otherwise): key id, secret and
	 * token one after the other, NUL-terminated.  Empty if they did not
	 * fit; then each worker resolves its own.
	 */
	int			cred_len;
	char		cred[SHARED_CRED_SIZE];
};

typedef enum StreamKind
{
	STREAM_ROOT,
	STREAM_ACCOUNT,
	STREAM_FILES
} StreamKind;

typedef struct ListStream
{
	StreamKind	kind;
	char	   *prefix;			/* what is listed */
	char	   *account;		/* STREAM_ACCOUNT and STREAM_FILES */
	char	   *region;			/* STREAM_FILES */
	char	   *start_after;
	char	   *token;			/* continuation token of the next page */
	bool		done;
	int			attempts;
	int64		retry_at;		/* ms; 0: now */
	CtHttpReq  *req;
	int64		seen;			/* parallel: number of the next listed object */
	int64		ticket;			/* parallel: the number we may fetch, -1: none */
	CtSharedStream *shared;		/* parallel: this stream's counter */
} ListStream;

/* A listed object waiting to be fetched, and the stream that listed it. */
typedef struct QueuedObject
{
	char	   *key;
	ListStream *stream;
} QueuedObject;

typedef struct ObjState
{
	char	   *key;			/* palloc'd */
	char	   *log_file;		/* s3://bucket/key or the file path */
	CtRecordReader *rr;			/* malloc'd; freed by finish_object or cleanup */
	CtHttpReq  *req;			/* in flight, or NULL */
	int			fd;				/* directory tables: open file, or -1 */
	bool		body_done;		/* all bytes are in the reader */
	int			attempts;
	int64		retry_at;
	int64		received;		/* body bytes given to the reader */
	int64		req_offset;		/* first byte the current request asked for */
	char		etag[128];
	int64		recno;			/* records returned so far */
	CtS3Scan   *scan;
} ObjState;

struct CtS3Scan
{
	MemoryContext cxt;
	MemoryContext work_cxt;		/* what one round of network work allocates */
	CtFdwOptions *opts;
	CtWindow   *w;
	bool		bounded_lo;
	bool		bounded_hi;
	int64		stamp_lo;		/* epoch seconds: files stamped before: skip */
	int64		stamp_hi;		/* epoch seconds: files stamped after: stop */
	bool		local;			/* directory table */
	char	   *local_root;		/* its directory, symbolic links resolved */

	/* S3 */
	CtEndpoint	ep;
	char		s3_region[32];
	CtCredentials cred;
	CtHttp	   *http;

	List	   *streams;		/* of ListStream * */
	QueuedObject *queue;		/* listed, to fetch (parallel: if claimed) */
	int			qhead;
	int			qtail;
	int			qcap;
	ObjState  **active;			/* objects being read */
	int			nactive;
	ObjState   *current;
	CtScanStats stats;
	bool		started;
	CtShared   *shared;			/* parallel scan state, or NULL */
	int			redirects;		/* region changes followed */
	char		regions_seen[128];	/* for the error when there are too many */
};

static int64
now_ms(void)
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

static int64
backoff_ms(int attempt)
{
	return ctfdw_backoff_ms(attempt, BACKOFF_BASE_MS, BACKOFF_CAP_MS);
}

static int64
to_epoch(TimestampTz t)
{
	return (int64) (t / USECS_PER_SEC) +
		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/* A time AWS sent that a timestamptz can hold, in the years AWS can be at. */
static bool
valid_utc(int y, int mo, int d, int h, int mi, int sec)
{
	return y >= 2000 && y <= 9999 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 &&
		h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && sec >= 0 && sec <= 60;
}

/* ---------------------------------------------------------------- cleanup */

static void
free_object(ObjState *o)
{
	if (o->req)
	{
		ct_http_free(o->req);
		o->req = NULL;
	}
	if (o->rr)
	{
		ct_rr_destroy(o->rr);
		o->rr = NULL;
	}
	if (o->fd >= 0)
	{
		close(o->fd);
		o->fd = -1;
	}
}

/* Reset callback of the scan's context: frees every foreign resource. */
static void
scan_cleanup(void *arg)
{
	CtS3Scan   *s = arg;
	ListCell   *lc;

	for (int i = 0; i < s->nactive; i++)
		free_object(s->active[i]);
	s->nactive = 0;
	s->current = NULL;
	foreach(lc, s->streams)
	{
		ListStream *st = lfirst(lc);

		if (st->req)
		{
			ct_http_free(st->req);
			st->req = NULL;
		}
	}
	if (s->http)
	{
		ct_http_destroy(s->http);
		s->http = NULL;
	}
	ct_free_endpoint(&s->ep);
}

/* ---------------------------------------------------------------- errors */

/*
 * Report a failed request as an ERROR.  The request is freed first: what
 * the message needs is copied out of it.
 */
void
ctfdw_fail_request(void *request, const char *what)
{
	CtHttpReq  *req = request;
	CtAwsError e;
	long		status = req->status;
	char	   *curl_error = req->curl_code ? pstrdup(req->curl_error) : NULL;
	int			curl_errcode = req->refused ? ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE :
		req->too_big ? ERRCODE_FDW_REPLY_HANDLE : ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION;
	bool		skewed = false;
	TimestampTz aws_now = 0;
	const char *paren;

	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if (!e.request_id[0])
		snprintf(e.request_id, sizeof(e.request_id), "%s", req->request_id[0] ? req->request_id : "none");
	if (strcmp(e.code, "RequestTimeTooSkewed") == 0)
	{
		/* S3 says its time in ServerTime */
		char	   *t = ct_xml_value(req->body.data, req->body.len, "ServerTime", NULL);
		int			y,
					mo,
					d,
					h,
					mi,
					sec;

		/* "2026-11-21T10:15:00Z" or with fractions; anything else says nothing */
		if (t && sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &sec) == 6 &&
			valid_utc(y, mo, d, h, mi, sec))
		{
			aws_now = time_t_to_timestamptz((pg_time_t) ct_timegm(y, mo, d, h, mi, sec));
			skewed = true;
		}
		free(t);
	}
	else if ((strncmp(e.message, "Signature expired", 17) == 0 ||
			  strncmp(e.message, "Signature not yet current", 25) == 0) &&
			 (paren = strrchr(e.message, '(')) != NULL)
	{
		/* the other services: "... (20261121T101500Z - 15 min.)", their time first */
		int			y,
					mo,
					d,
					h,
					mi,
					sec;

		if (sscanf(paren + 1, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &sec) == 6 &&
			valid_utc(y, mo, d, h, mi, sec))
		{
			aws_now = time_t_to_timestamptz((pg_time_t) ct_timegm(y, mo, d, h, mi, sec));
			skewed = true;
		}
	}
	ct_http_free(req);

	if (curl_error)
		ereport(ERROR,
				(errcode(curl_errcode),
				 errmsg("could not %s", what),
				 errdetail_internal("%s", curl_error)));
	if (skewed)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("could not %s: the database server's clock is off", what),
				 errdetail("AWS error %s (HTTP %ld, request id %s): %s", e.code, status,
						   e.request_id, e.message),
				 errhint("The server clock differs from AWS's by about %lld seconds; AWS accepts 15 minutes. Synchronise it (NTP).",
						 (long long) ((GetCurrentTimestamp() - aws_now) / USECS_PER_SEC))));
	ereport(ERROR,
			(errcode(strcmp(e.code, "NoSuchBucket") == 0 || strcmp(e.code, "NoSuchKey") == 0 ?
					 ERRCODE_FDW_TABLE_NOT_FOUND : ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not %s", what),
			 e.code[0] ?
			 errdetail("AWS error %s (HTTP %ld, request id %s): %s", e.code, status,
					   e.request_id, e.message) :
			 errdetail("HTTP status %ld (request id %s).", status, e.request_id)));
}

static void
object_failed(CtS3Scan *s, ObjState *o, const char *why)
{
	if (s->opts->on_error_skip)
	{
		ereport(WARNING,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 errmsg("skipping CloudTrail log file \"%s\": %s", o->log_file, why),
				 errdetail("%lld records of the file were returned before the error.",
						   (long long) o->recno)));
		s->stats.skipped_files++;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
			 errmsg("could not read CloudTrail log file \"%s\": %s", o->log_file, why),
			 errhint("Table option on_error 'skip' skips such files with a warning.")));
}

/* ---------------------------------------------------------------- setup */

static void
add_stream(CtS3Scan *s, StreamKind kind, char *prefix, const char *account,
		   const char *region)
{
	/* streams live for the scan, whatever context the caller lists in */
	MemoryContext old = MemoryContextSwitchTo(s->cxt ? s->cxt : CurrentMemoryContext);
	ListStream *st = palloc0(sizeof(ListStream));

	st->kind = kind;
	st->prefix = pstrdup(prefix);
	st->ticket = -1;
	st->account = account ? pstrdup(account) : NULL;
	st->region = region ? pstrdup(region) : NULL;
	if (kind == STREAM_FILES && s->bounded_lo)
	{
		CtBuf		b = CT_BUF_INIT;

		ct_trail_start_after(&b, prefix, account, s->opts->insight, region, s->stamp_lo);
		st->start_after = pstrdup(b.data);
		ct_buf_free(&b);
	}
	s->streams = lappend(s->streams, st);
	MemoryContextSwitchTo(old);
}

static char *
region_prefix(CtS3Scan *s, const char *account, const char *region)
{
	CtBuf		b = CT_BUF_INIT;
	char	   *out;

	ct_trail_region_prefix(&b, s->opts->prefix, s->opts->organization_id, account,
						   s->opts->insight, region);
	out = pstrdup(b.data);
	ct_buf_free(&b);
	return out;
}

static char *
root_prefix(CtS3Scan *s, const char *org)
{
	StringInfoData b;

	initStringInfo(&b);
	if (s->opts->prefix && *s->opts->prefix)
	{
		appendStringInfoString(&b, s->opts->prefix);
		if (s->opts->prefix[strlen(s->opts->prefix) - 1] != '/')
			appendStringInfoChar(&b, '/');
	}
	appendStringInfoString(&b, "AWSLogs/");
	if (org && *org)
		appendStringInfo(&b, "%s/", org);
	return b.data;
}

static bool
str_in(List *l, const char *v)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp(lfirst(lc), v) == 0)
			return true;
	return false;
}

static void
plan_streams(CtS3Scan *s)
{
	/* the window's lists are within the table's options; NIL: discover */
	List	   *accounts = s->w->accounts;
	List	   *regions = s->w->regions;
	ListCell   *la,
			   *lr;

	/*
	 * Without organization_id, an account's folder may be AWSLogs/<acct>/ or
	 * AWSLogs/o-.../<acct>/: list the root and filter accounts there.
	 */
	if (!s->w->accounts_listed || !s->opts->organization_id)
	{
		add_stream(s, STREAM_ROOT, root_prefix(s, s->opts->organization_id), NULL, NULL);
		return;
	}
	foreach(la, accounts)
	{
		if (!s->w->regions_listed)
		{
			StringInfoData b;

			initStringInfo(&b);
			appendStringInfo(&b, "%s%s/%s/", root_prefix(s, s->opts->organization_id),
							 (char *) lfirst(la), s->opts->insight ? "CloudTrail-Insight" : "CloudTrail");
			add_stream(s, STREAM_ACCOUNT, b.data, lfirst(la), NULL);
			continue;
		}
		foreach(lr, regions)
			add_stream(s, STREAM_FILES, region_prefix(s, lfirst(la), lfirst(lr)),
					   lfirst(la), lfirst(lr));
	}
}

/*
 * Describe, for EXPLAIN, what a scan with this window will list.  Nothing
 * here talks to AWS.
 */
void
ctfdw_describe_prefixes(CtFdwOptions *opts, CtWindow *w, List **lines)
{
	CtS3Scan	fake;
	ListCell   *lc;

	memset(&fake, 0, sizeof(fake));
	fake.opts = opts;
	fake.w = w;
	fake.bounded_lo = w->has_lower;
	if (w->has_lower)
		fake.stamp_lo = to_epoch(w->lower);
	plan_streams(&fake);
	foreach(lc, fake.streams)
	{
		ListStream *st = lfirst(lc);
		StringInfoData b;

		initStringInfo(&b);
		appendStringInfoString(&b, st->prefix);
		if (st->kind != STREAM_FILES)
			appendStringInfoString(&b, " (discover)");
		else if (st->start_after)
			appendStringInfo(&b, " from %s", st->start_after + strlen(st->prefix));
		*lines = lappend(*lines, b.data);
	}
}

CtS3Scan *
ctfdw_s3_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CtS3Scan   *s = palloc0(sizeof(CtS3Scan));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));

	s->cxt = cxt;
	s->work_cxt = AllocSetContextCreate(cxt, "cloudtrail_fdw scan work", ALLOCSET_DEFAULT_SIZES);
	s->opts = opts;
	s->w = w;
	s->local = opts->source == CT_SOURCE_DIRECTORY;
	/* register before anything is allocated outside PostgreSQL */
	cb->func = scan_cleanup;
	cb->arg = s;
	MemoryContextRegisterResetCallback(cxt, cb);
	MemoryContextSwitchTo(old);
	return s;
}

static bool shared_credentials(CtS3Scan *s);

/* Sign for this region, at the server's S3 endpoint or the partition's host for it. */
static void
use_region(CtS3Scan *s, const char *region)
{
	char	   *url = ctfdw_endpoint(s->opts, CT_SERVICE_S3, region);
	CtEndpoint	ep;
	char		err[256];

	if (!ct_parse_endpoint(url, &ep, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid S3 endpoint \"%s\": %s", url, err)));
	ct_free_endpoint(&s->ep);
	s->ep = ep;
	snprintf(s->s3_region, sizeof(s->s3_region), "%s", region);
}

static void
start_network(CtS3Scan *s)
{
	CtHttpConfig cfg;

	if (!shared_credentials(s))
		ctfdw_credentials(s->opts, &s->cred, false, s->cxt);
	use_region(s, s->opts->region);
	s->redirects = 0;
	s->regions_seen[0] = '\0';
	memset(&cfg, 0, sizeof(cfg));
	cfg.connect_timeout_ms = s->opts->connect_timeout_ms;
	cfg.stall_timeout_s = s->opts->request_timeout_s;
	cfg.verify_tls = s->opts->verify_tls;
	cfg.ca_file = s->opts->ca_file;
	cfg.max_host_connections = s->opts->max_concurrency;
	s->http = ct_http_create(&cfg);
	if (!s->http)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("could not initialize libcurl")));
}

static bool
virtual_host(CtS3Scan *s)
{
	if (strcmp(s->opts->addressing, "path") == 0)
		return false;
	if (strcmp(s->opts->addressing, "virtual") == 0)
		return true;
	return ct_bucket_virtual_ok(&s->ep, s->opts->bucket);
}

/* A signed GET, ready to start. */
static CtHttpReq *
s3_request(CtS3Scan *s, const char *key, const char *query, const char *range,
		   const char *if_match)
{
	CtPrepared p;
	CtHttpReq  *req;
	time_t		now = time(NULL);

	if (!ct_s3_prepare(&p, &s->ep, virtual_host(s), s->opts->bucket, key, query,
					   s->s3_region, &s->cred, (long long) now, range))
	{
		ct_prepared_free(&p);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	req = ct_http_request(p.url.data);
	for (int i = 0; req && i < p.nheaders; i++)
		ct_http_add_header(req, p.headers[i]);
	if (req && if_match)
	{
		char		line[160];

		snprintf(line, sizeof(line), "If-Match: %s", if_match);
		ct_http_add_header(req, line);
	}
	ct_prepared_free(&p);
	if (!req)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	return req;
}

/* ---------------------------------------------------------------- queue */

static void
enqueue(CtS3Scan *s, ListStream *st, const char *key)
{
	if (s->qtail == s->qcap)
	{
		if (s->qhead > 0)
		{
			memmove(s->queue, s->queue + s->qhead, (s->qtail - s->qhead) * sizeof(QueuedObject));
			s->qtail -= s->qhead;
			s->qhead = 0;
		}
		if (s->qtail == s->qcap)
		{
			s->qcap = s->qcap ? s->qcap * 2 : 1024;
			s->queue = s->queue ? repalloc(s->queue, s->qcap * sizeof(QueuedObject)) :
				MemoryContextAlloc(s->cxt, s->qcap * sizeof(QueuedObject));
		}
	}
	s->queue[s->qtail].key = MemoryContextStrdup(s->cxt, key);
	s->queue[s->qtail++].stream = st;
}

static int
queued(CtS3Scan *s)
{
	return s->qtail - s->qhead;
}

/* ---------------------------------------------------------------- parallel */

Size
ctfdw_shared_size(void)
{
	return sizeof(CtShared);
}

void
ctfdw_shared_init(CtShared *sh)
{
	SpinLockInit(&sh->mutex);
	sh->cred_len = 0;
	for (int i = 0; i < CT_PARALLEL_STREAMS; i++)
	{
		sh->streams[i].hash = 0;
		pg_atomic_init_u64(&sh->streams[i].next, 0);
	}
}

void
ctfdw_s3_set_shared(CtS3Scan *s, CtShared *sh)
{
	s->shared = sh;
}

/* The leader puts the credentials it signs with where its workers find them. */
void
ctfdw_shared_set_credentials(CtShared *sh, CtFdwOptions *opts)
{
	CtCredentials c;
	const char *token;
	size_t		a,
				b,
				t;

	if (opts->source != CT_SOURCE_S3)
		return;
	ctfdw_credentials(opts, &c, false, CurrentMemoryContext);
	token = c.session_token ? c.session_token : "";
	a = strlen(c.access_key_id) + 1;
	b = strlen(c.secret_access_key) + 1;
	t = strlen(token) + 1;
	if (a + b + t <= SHARED_CRED_SIZE)
	{
		memcpy(sh->cred, c.access_key_id, a);
		memcpy(sh->cred + a, c.secret_access_key, b);
		memcpy(sh->cred + a + b, token, t);
		sh->cred_len = (int) (a + b + t);
	}
	explicit_bzero(c.secret_access_key, b);
	if (c.session_token)
		explicit_bzero(c.session_token, t);
}

/* Credentials from the leader, if it left them; false if not. */
static bool
shared_credentials(CtS3Scan *s)
{
	const char *p;

	if (!s->shared || s->shared->cred_len == 0)
		return false;
	p = s->shared->cred;
	s->cred.access_key_id = MemoryContextStrdup(s->cxt, p);
	p += strlen(p) + 1;
	s->cred.secret_access_key = MemoryContextStrdup(s->cxt, p);
	p += strlen(p) + 1;
	s->cred.session_token = *p ? MemoryContextStrdup(s->cxt, p) : NULL;
	return true;
}

/* The shared counter of a stream, found or made by its prefix. */
static CtSharedStream *
shared_stream(CtShared *sh, const char *prefix)
{
	uint64		h = hash_bytes_extended((const unsigned char *) prefix, strlen(prefix), 0) | 1;
	int			i = (int) (h % CT_PARALLEL_STREAMS);
	CtSharedStream *found = NULL;

	SpinLockAcquire(&sh->mutex);
	for (int n = 0; n < CT_PARALLEL_STREAMS; n++, i = (i + 1) % CT_PARALLEL_STREAMS)
	{
		if (sh->streams[i].hash == h || sh->streams[i].hash == 0)
		{
			sh->streams[i].hash = h;
			found = &sh->streams[i];
			break;
		}
	}
	SpinLockRelease(&sh->mutex);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a parallel CloudTrail scan can read at most %d account and region folders",
						CT_PARALLEL_STREAMS),
				 errhint("Narrow the query by account or region, or SET max_parallel_workers_per_gather = 0.")));
	return found;
}

/* Is the next object of this stream ours to fetch? */
static bool
claim(CtS3Scan *s, ListStream *st)
{
	int64		n = st->seen++;

	if (st->shared == NULL)
		st->shared = shared_stream(s->shared, st->prefix);

	/*
	 * A new ticket is taken only once the last one is used (or at the
	 * start), and the counter is past every ticket handed out, so the new
	 * ticket is never below n: no object is passed over unclaimed.
	 */
	if (st->ticket < n)
		st->ticket = (int64) pg_atomic_fetch_add_u64(&st->shared->next, 1);
	return st->ticket == n;
}

/* ---------------------------------------------------------------- listing */

/*
 * Take one listed page (from S3 or the file system) for a stream: spawn
 * streams for discovered folders, queue files inside the window.
 */
static void
take_page(CtS3Scan *s, ListStream *st, CtS3ListPage *page)
{
	List	   *accounts = s->w->accounts;
	List	   *regions = s->w->regions;

	for (int i = 0; i < page->nprefixes; i++)
	{
		const char *p = page->prefixes[i];
		size_t		plen = strlen(p);
		const char *name;
		char	   *seg;

		if (plen <= strlen(st->prefix) || strncmp(p, st->prefix, strlen(st->prefix)) != 0)
			continue;
		name = p + strlen(st->prefix);
		seg = pnstrdup(name, strlen(name) - 1);	/* drop the trailing '/' */
		if (st->kind == STREAM_ROOT)
		{
			if (ctfdw_valid_account(seg) && (!s->w->accounts_listed || str_in(accounts, seg)))
			{
				StringInfoData b;

				initStringInfo(&b);
				appendStringInfo(&b, "%s%s/", p, s->opts->insight ? "CloudTrail-Insight" : "CloudTrail");
				if (!s->w->regions_listed)
					add_stream(s, STREAM_ACCOUNT, b.data, seg, NULL);
				else
				{
					ListCell   *lr;

					foreach(lr, regions)
						add_stream(s, STREAM_FILES, psprintf("%s%s/", b.data, (char *) lfirst(lr)),
								   seg, lfirst(lr));
				}
			}
			else if (strncmp(seg, "o-", 2) == 0 && !s->opts->organization_id)
				add_stream(s, STREAM_ROOT, pstrdup(p), NULL, NULL);	/* organization trail */
		}
		else if (st->kind == STREAM_ACCOUNT)
		{
			if (ctfdw_valid_region(seg) && (!s->w->regions_listed || str_in(regions, seg)))
				add_stream(s, STREAM_FILES, pstrdup(p), st->account, seg);
		}
	}
	for (int i = 0; i < page->nobjects; i++)
	{
		CtTrailKey k;
		const char *key = page->objects[i].key;

		s->stats.listed++;
		if (st->kind != STREAM_FILES)
			continue;
		if (!ct_trail_file_key(key, st->prefix, st->account, st->region, s->opts->insight, &k))
		{
			/*
			 * CloudTrail puts nothing else in these folders; and only such a
			 * key is fetched: under the prefix, no dot segments, nothing odd
			 */
			ereport(s->opts->on_error_skip ? WARNING : ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("object \"%s\" in bucket \"%s\" is not a CloudTrail %s file of account %s and region %s",
							key, s->opts->bucket ? s->opts->bucket : s->opts->directory,
							s->opts->insight ? "Insights" : "log", st->account, st->region),
					 s->opts->on_error_skip ? 0 :
					 errhint("Table option on_error 'skip' skips such objects with a warning.")));
			continue;
		}
		if (s->bounded_hi && k.stamp > s->stamp_hi)
		{
			/* keys sort by delivery time: nothing later in this folder matters */
			st->done = true;
			return;
		}
		if (s->bounded_lo && k.stamp + 59 < s->stamp_lo)
			continue;
		enqueue(s, st, key);
	}
	if (page->truncated && page->next_token)
	{
		st->token = MemoryContextStrdup(s->cxt, page->next_token);
		st->start_after = NULL;
	}
	else if (!page->truncated)
		st->done = true;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/*
 * List a directory table's folder the way S3 would list the prefix:
 * everything below it (or, for discovery, its subfolders), sorted, after
 * start_after, at most LOCAL_PAGE files at a time (returns true when the
 * page is full).  Date folders wholly before start_after are not entered.
 */
#define LOCAL_PAGE 1000

/*
 * Is rel, a path below the table's directory, really below it?  Checked
 * by name first (no "..", no "." segment, nothing absolute: prefix and
 * organization_id are options), then with symbolic links resolved, so a
 * link that leads out is never followed.  false: rel does not exist.  A
 * path outside is an error that names neither it nor where it leads.
 */
static bool
local_inside(CtS3Scan *s, const char *rel)
{
	const char *p = rel;
	char	   *real;
	size_t		rootlen;
	bool		inside;

	for (;;)
	{
		size_t		seg = strcspn(p, "/");

		if (*rel == '/' || (seg == 1 && p[0] == '.') || (seg == 2 && p[0] == '.' && p[1] == '.'))
			goto outside;
		if (p[seg] == '\0')
			break;
		p += seg + 1;
	}
	if (s->local_root == NULL)
	{
		if ((real = realpath(s->opts->directory, NULL)) == NULL)
		{
			if (errno == ENOENT)
				return false;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open directory \"%s\": %m", s->opts->directory)));
		}
		s->local_root = MemoryContextStrdup(s->cxt, real);
		free(real);
	}
	if ((real = realpath(psprintf("%s/%s", s->opts->directory, rel), NULL)) == NULL)
	{
		if (errno == ENOENT || errno == ENOTDIR)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open \"%s\" in directory \"%s\": %m", rel, s->opts->directory)));
	}
	rootlen = strlen(s->local_root);
	inside = strncmp(real, s->local_root, rootlen) == 0 &&
		(real[rootlen] == '/' || real[rootlen] == '\0' || rootlen == 1);
	free(real);
	if (inside)
		return true;
outside:
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("path \"%s\" leads outside directory \"%s\"", rel, s->opts->directory),
			 errdetail("Directory tables read only files below their directory; symbolic links that lead elsewhere are not followed.")));
	return false;				/* keep the compiler quiet */
}

static bool
local_list_dir(CtS3Scan *s, const char *rel, bool folders_only, const char *start_after,
			   char ***keys, int *n, int *cap)
{
	char	   *path = psprintf("%s/%s", s->opts->directory, rel);
	DIR		   *d;
	struct dirent *de;
	List	   *names = NIL;
	ListCell   *lc;

	if (!local_inside(s, rel))
		return false;
	if ((d = AllocateDir(path)) == NULL)
	{
		if (errno == ENOENT)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", path)));
	}
	while ((de = ReadDir(d, path)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		names = lappend(names, pstrdup(de->d_name));
	}
	FreeDir(d);
	list_sort(names, (list_sort_comparator) cmp_str);
	foreach(lc, names)
	{
		char	   *name = lfirst(lc);
		char	   *relname = psprintf("%s%s", rel, name);
		char	   *full = psprintf("%s/%s", s->opts->directory, relname);
		struct stat stbuf;

		if (lstat(full, &stbuf) != 0)
			continue;
		if (S_ISLNK(stbuf.st_mode) && (!local_inside(s, relname) || stat(full, &stbuf) != 0))
			continue;
		if (S_ISDIR(stbuf.st_mode))
		{
			char	   *sub = psprintf("%s/", relname);

			if (folders_only)
			{
				if (*n == *cap)
				{
					*cap = *cap ? *cap * 2 : 64;
					*keys = *keys ? repalloc(*keys, *cap * sizeof(char *)) : palloc(*cap * sizeof(char *));
				}
				(*keys)[(*n)++] = sub;
				continue;
			}
			/* everything in sub sorts before start_after: skip the folder */
			if (start_after && strcmp(psprintf("%s~", sub), start_after) < 0)
				continue;
			if (local_list_dir(s, sub, false, start_after, keys, n, cap))
				return true;
		}
		else if (!folders_only && (!start_after || strcmp(relname, start_after) > 0))
		{
			if (*n == *cap)
			{
				*cap = *cap ? *cap * 2 : 64;
				*keys = *keys ? repalloc(*keys, *cap * sizeof(char *)) : palloc(*cap * sizeof(char *));
			}
			(*keys)[(*n)++] = relname;
			if (*n >= LOCAL_PAGE)
				return true;
		}
	}
	return false;
}

static void
local_list(CtS3Scan *s, ListStream *st)
{
	char	  **keys = NULL;
	int			n = 0,
				cap = 0;
	CtS3ListPage page;
	bool		folders = st->kind != STREAM_FILES;

	/*
	 * The walk's names and paths are garbage once the page is taken (queued
	 * keys and new streams are copied into the scan's context): keep them in
	 * a context of their own, dropped at the end.
	 */
	MemoryContext walk = AllocSetContextCreate(s->cxt, "cloudtrail_fdw directory listing",
											   ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(walk);

	bool		full = local_list_dir(s, st->prefix, folders, st->start_after, &keys, &n, &cap);

	memset(&page, 0, sizeof(page));
	page.truncated = full;
	if (folders)
	{
		page.prefixes = keys;
		page.nprefixes = n;
	}
	else
	{
		page.objects = palloc(sizeof(CtS3Object) * Max(n, 1));
		for (int i = 0; i < n; i++)
		{
			page.objects[i].key = keys[i];
			page.objects[i].size = -1;
		}
		page.nobjects = n;
	}
	s->stats.lists++;
	take_page(s, st, &page);
	if (full && !st->done)
		st->start_after = MemoryContextStrdup(s->cxt, keys[n - 1]);	/* the next page */
	else
		st->done = true;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(walk);
}

static void
start_list(CtS3Scan *s, ListStream *st)
{
	CtBuf		q = CT_BUF_INIT;

	ct_s3_list_query(&q, st->prefix, st->kind == STREAM_FILES ? NULL : "/",
					 st->start_after, st->token, 1000);
	st->req = s3_request(s, NULL, q.data, NULL, NULL);
	ct_buf_free(&q);
	st->req->arg = st;
	st->req->max_body = LIST_MAX_BODY;
	if (!ct_http_start(s->http, st->req))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
	s->stats.lists++;
	s->stats.requests++;
}

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
 * The bucket is elsewhere: learn its region from the reply and go there.
 * True when the request is to be sent again, for that region.
 */
static bool
follow_region(CtS3Scan *s, CtHttpReq *req)
{
	char		was[32];

	CtAwsError e;
	const char *region = req->bucket_region;

	if (req->status != 301 && req->status != 400)
		return false;
	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if (strcmp(e.code, "PermanentRedirect") != 0 && strcmp(e.code, "AuthorizationHeaderMalformed") != 0)
		return false;
	if (!*region)
		region = e.region;
	if (!*region || !ctfdw_valid_region(region))
		return false;
	if (strcmp(region, s->s3_region) == 0)
	{
		/* signed before another reply moved the scan there: send it again */
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

static void
list_done(CtS3Scan *s, ListStream *st, CtHttpReq *req)
{
	CtAwsError e;

	st->req = NULL;
	if (req->curl_code == 0 && req->status == 200)
	{
		CtS3ListPage page;
		char		err[256];

		if (!ct_s3_parse_list(req->body.data, req->body.len, &page, err, sizeof(err)))
		{
			ct_http_free(req);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("could not list bucket \"%s\" prefix \"%s\": %s",
							s->opts->bucket, st->prefix, err)));
		}
		st->attempts = 0;
		PG_TRY();
		{
			take_page(s, st, &page);
		}
		PG_FINALLY();
		{
			ct_s3_free_list(&page);
			ct_http_free(req);
		}
		PG_END_TRY();
		return;
	}
	if (follow_region(s, req))
	{
		ct_http_free(req);
		return;
	}
	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if (ctfdw_credentials_expired(s->opts, e.code) && st->attempts++ < s->opts->max_retries)
	{
		ct_http_free(req);
		ctfdw_credentials(s->opts, &s->cred, true, s->cxt);
		return;					/* listed again with fresh credentials */
	}
	if (ct_http_retryable(req, e.code) && st->attempts < s->opts->max_retries)
	{
		st->retry_at = now_ms() + backoff_ms(st->attempts++);
		s->stats.retries++;
		ct_http_free(req);
		return;
	}
	ctfdw_fail_request(req, psprintf("list bucket \"%s\" prefix \"%s\"",
								  s->opts->bucket, st->prefix));
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

static void
start_object(CtS3Scan *s, ObjState *o)
{
	char		range[64];

	o->req_offset = o->received;
	if (o->received > 0)
		snprintf(range, sizeof(range), "bytes=%lld-", (long long) o->received);
	o->req = s3_request(s, o->key, "", o->received > 0 ? range : NULL,
						o->received > 0 && o->etag[0] ? o->etag : NULL);
	o->req->sink = object_sink;
	o->req->arg = o;
	if (!ct_http_start(s->http, o->req))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
	s->stats.requests++;
}

static ObjState *
new_object(CtS3Scan *s, char *key)
{
	ObjState   *o = MemoryContextAllocZero(s->cxt, sizeof(ObjState));
	bool		gz;

	o->scan = s;
	o->key = key;
	o->fd = -1;
	gz = strlen(key) > 3 && strcmp(key + strlen(key) - 3, ".gz") == 0;
	if (s->local)
		o->log_file = MemoryContextStrdup(s->cxt, psprintf("%s/%s", s->opts->directory, key));
	else
		o->log_file = MemoryContextStrdup(s->cxt, psprintf("s3://%s/%s", s->opts->bucket, key));
	s->active[s->nactive++] = o;	/* owned by the scan from here on */
	o->rr = ct_rr_create(gz);
	if (!o->rr)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not create a gzip stream")));
	ct_rr_set_max_size(o->rr, s->opts->max_object_size);
	if (s->local)
	{
		o->fd = open(o->log_file, O_RDONLY | PG_BINARY, 0);
		if (o->fd < 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open file \"%s\": %m", o->log_file)));
	}
	else
		start_object(s, o);
	s->stats.fetched++;
	return o;
}

static void
finish_object(CtS3Scan *s, ObjState *o)
{
	s->stats.bytes += ct_rr_bytes_in(o->rr);
	free_object(o);
	for (int i = 0; i < s->nactive; i++)
		if (s->active[i] == o)
		{
			s->active[i] = s->active[--s->nactive];
			break;
		}
	if (s->current == o)
		s->current = NULL;
	pfree(o->key);
	pfree(o->log_file);
	pfree(o);
}

static void
object_done(CtS3Scan *s, ObjState *o, CtHttpReq *req)
{
	CtAwsError e;

	o->req = NULL;
	if (req->curl_code == 0 && (req->status == 200 || req->status == 206))
	{
		if (!o->etag[0])
			snprintf(o->etag, sizeof(o->etag), "%s", req->etag);
		o->body_done = true;
		ct_rr_set_eof(o->rr);
		ct_http_free(req);
		return;
	}
	if (!o->etag[0] && req->etag[0])
		snprintf(o->etag, sizeof(o->etag), "%s", req->etag);
	if (follow_region(s, req))
	{
		ct_http_free(req);
		start_object(s, o);
		return;
	}
	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if (ctfdw_credentials_expired(s->opts, e.code) && o->attempts++ < s->opts->max_retries)
	{
		ct_http_free(req);
		ctfdw_credentials(s->opts, &s->cred, true, s->cxt);
		start_object(s, o);
		return;
	}
	if (ct_http_retryable(req, e.code) && o->attempts < s->opts->max_retries)
	{
		o->retry_at = now_ms() + backoff_ms(o->attempts++);
		s->stats.retries++;
		ct_http_free(req);
		return;
	}
	ctfdw_fail_request(req, psprintf("read object \"%s\" from bucket \"%s\"",
								  o->key, s->opts->bucket));
}

/* Directory tables: give the reader the next chunk of the file. */
static void
feed_local(CtS3Scan *s, ObjState *o)
{
	char	   *buf = palloc(FILE_CHUNK);
	ssize_t		n;

	CHECK_FOR_INTERRUPTS();
	n = read(o->fd, buf, FILE_CHUNK);
	if (n < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", o->log_file)));
	if (n == 0)
	{
		o->body_done = true;
		ct_rr_set_eof(o->rr);
	}
	else if (!ct_rr_push(o->rr, buf, n))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	o->received += n;
	pfree(buf);
}

/* ---------------------------------------------------------------- engine */

static bool
streams_pending(CtS3Scan *s)
{
	ListCell   *lc;

	foreach(lc, s->streams)
		if (!((ListStream *) lfirst(lc))->done)
			return true;
	return false;
}

/* Start what may start now: list pages and GETs. */
static void
start_work(CtS3Scan *s, int64 now)
{
	ListCell   *lc;
	int			listing = 0;

	foreach(lc, s->streams)
		if (((ListStream *) lfirst(lc))->req)
			listing++;
	foreach(lc, s->streams)
	{
		ListStream *st = lfirst(lc);

		if (st->done || st->req || (st->retry_at && st->retry_at > now))
			continue;
		/* listing memory is bounded whatever max_concurrency is */
		if (!s->local && listing >= LISTS_IN_FLIGHT)
			break;
		/* files streams wait while enough files are queued */
		if (st->kind == STREAM_FILES && queued(s) >= QUEUE_LIMIT)
			continue;
		st->retry_at = 0;
		if (s->local)
			local_list(s, st);
		else
		{
			start_list(s, st);
			listing++;
		}
	}
	for (int i = 0; i < s->nactive; i++)
	{
		ObjState   *o = s->active[i];

		if (!s->local && !o->req && !o->body_done && o->retry_at && o->retry_at <= now)
		{
			o->retry_at = 0;
			start_object(s, o);
		}
	}
	while (s->nactive < s->opts->max_concurrency && queued(s) > 0)
	{
		QueuedObject *q = &s->queue[s->qhead++];

		/*
		 * Parallel: claimed only now, when there is room to fetch it, so the
		 * objects go to whichever participant is free, not to the first to
		 * list them.
		 */
		if (s->shared && !claim(s, q->stream))
			pfree(q->key);
		else
			new_object(s, q->key);
	}
}

/* An object whose reader can make progress without the network. */
static ObjState *
ready_object(CtS3Scan *s)
{
	for (int i = 0; i < s->nactive; i++)
	{
		ObjState   *o = s->active[i];

		if (o->body_done || ct_rr_backlog(o->rr) > 0 || s->local)
			return o;
	}
	return NULL;
}

static void
pump(CtS3Scan *s)
{
	int64		now = now_ms();
	int			timeout = 100;
	int			n;
	CtHttpReq  *req;

	start_work(s, now);
	if (s->local || ready_object(s))
		return;
	/* wake up for the earliest retry */
	for (int i = 0; i < s->nactive; i++)
		if (s->active[i]->retry_at)
			timeout = Min(timeout, (int) Max(0, s->active[i]->retry_at - now));
	n = ct_http_poll(s->http, timeout);
	if (n < 0)
		CHECK_FOR_INTERRUPTS();
	while ((req = ct_http_next_done(s->http)) != NULL)
	{
		/* list requests point at a ListStream, object requests at an ObjState */
		bool		is_object = false;

		for (int i = 0; i < s->nactive; i++)
			if (s->active[i] == req->arg)
			{
				is_object = true;
				break;
			}
		if (is_object)
			object_done(s, (ObjState *) req->arg, req);
		else
			list_done(s, (ListStream *) req->arg, req);
	}
}

/*
 * Next record of the scan, or false at the end.  *rec stays valid until the
 * next call.  Network rounds allocate in the scan's work context; the
 * caller's context is current again on return.
 */
static bool next_record(CtS3Scan *s, const char **rec, size_t *len, const char **log_file,
						int64 *recno);

bool
ctfdw_s3_next(CtS3Scan *s, const char **rec, size_t *len, const char **log_file,
			  int64 *recno)
{
	MemoryContext caller = CurrentMemoryContext;
	bool		found = next_record(s, rec, len, log_file, recno);

	MemoryContextSwitchTo(caller);
	return found;
}

static bool
next_record(CtS3Scan *s, const char **rec, size_t *len, const char **log_file,
			int64 *recno)
{
	if (s->w->empty)
		return false;
	if (!s->started)
	{
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		/* the window is known now: it may hold run-time values */
		s->bounded_lo = s->w->has_lower;
		s->bounded_hi = s->w->has_upper;
		if (s->w->has_lower)
			s->stamp_lo = to_epoch(s->w->lower);
		if (s->w->has_upper)
			s->stamp_hi = to_epoch(s->w->upper) + s->opts->max_delivery_delay / USECS_PER_SEC;
		if (!s->local)
			start_network(s);
		s->active = palloc0(sizeof(ObjState *) * (s->opts->max_concurrency + 1));
		plan_streams(s);
		s->started = true;
		MemoryContextSwitchTo(old);
	}
	for (;;)
	{
		ObjState   *o = s->current;

		CHECK_FOR_INTERRUPTS();
		if (o)
		{
			CtRecordStatus st = ct_rr_next(o->rr, rec, len);

			switch (st)
			{
				case CT_REC_RECORD:
					o->recno++;
					s->stats.records++;
					*log_file = o->log_file;
					*recno = o->recno;
					return true;
				case CT_REC_NEED_INPUT:
					if (s->local)
					{
						feed_local(s, o);
						continue;
					}
					if (o->req && o->req->paused)
						ct_http_resume(o->req);
					s->current = NULL;
					break;
				case CT_REC_END:
					finish_object(s, o);
					/* start the next download now, so it overlaps parsing */
					if (queued(s) > 0 && !s->local)
						start_work(s, now_ms());
					continue;
				case CT_REC_ERROR:
					{
						char	   *why = pstrdup(ct_rr_error(o->rr));

						object_failed(s, o, why);
						finish_object(s, o);
						continue;
					}
			}
		}
		if ((s->current = ready_object(s)) != NULL && (s->local || s->current != o))
			continue;
		s->current = NULL;
		if (s->nactive == 0 && queued(s) == 0 && !streams_pending(s))
			return false;
		/* what lasts is put in s->cxt by name; the rest goes with the round */
		MemoryContextReset(s->work_cxt);
		MemoryContextSwitchTo(s->work_cxt);
		pump(s);
	}
}

/* What the scan did, for EXPLAIN ANALYZE. */
CtScanStats *
ctfdw_s3_stats(CtS3Scan *s)
{
	return &s->stats;
}

void
ctfdw_s3_rescan(CtS3Scan *s)
{
	scan_cleanup(s);
	s->streams = NIL;
	s->qhead = s->qtail = 0;
	s->started = false;
}

void
ctfdw_s3_end(CtS3Scan *s)
{
	scan_cleanup(s);
}

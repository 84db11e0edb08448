/*-------------------------------------------------------------------------
 *
 * lookup.c
 *		The event-history table: CloudTrail's LookupEvents API as a scan.
 *
 * LookupEvents allows one lookup attribute per call, 50 events per page and
 * 2 calls per second per account and region, and returns events newest
 * first.  So a scan is a set of streams -- one per region and per value of
 * the one attribute sent -- merged by event time, newest first.  Pages are
 * fetched only when the merge needs the next event of a stream: a LIMIT 10
 * over one stream costs one call.  A client-side limiter keeps each region
 * to 2 calls a second; ThrottlingException and 5xx replies are retried with
 * backoff until lookup_max_wait has been spent waiting.
 *
 * Which attribute is sent: the most selective one the WHERE clause offers
 * (EventId > AccessKeyId > ResourceName > Username > EventName >
 * ResourceType > EventSource > ReadOnly; for Insights only EventId,
 * EventName and EventSource).  The rest, like every qual, is checked by
 * PostgreSQL on each row.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/lookup.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "cloudtrail_fdw.h"
#include "ct_cloudtrail.h"
#include "ct_http.h"

#define LOOKUP_PAGE		50
#define CALLS_PER_SEC	2
#define THROTTLE_BASE_MS 500
#define THROTTLE_CAP_MS 8000

/*
 * The limit is per account and region, and outlives a query: back-to-back
 * queries must not burst.  So limiters live for the backend, keyed by
 * access key (standing for the account) and region.
 */
typedef struct RegionLimiter
{
	char		key[160];		/* access key id '/' region */
	int64		calls[CALLS_PER_SEC];	/* ms of the last calls, oldest first */
} RegionLimiter;

static RegionLimiter *limiters;	/* in TopMemoryContext */
static int	nlimiters;
static int	max_limiters;

typedef struct LkStream
{
	char	   *region;
	const char *attr_key;		/* NULL: no attribute */
	char	   *attr_value;
	char	   *next_token;		/* malloc'd; NULL before the first page */
	bool		started;
	bool		exhausted;		/* no page after the current one */
	CtLookupPage page;			/* malloc'd by the AWS layer */
	CtEndpoint	ep;				/* the region's CloudTrail endpoint */
	int			pos;			/* next event of page */
	CtHttpReq  *req;
	int64		retry_at;
	int			attempts;
	int			limiter;		/* index into limiters */
} LkStream;

struct CtLookupScan
{
	MemoryContext cxt;
	CtFdwOptions *opts;
	CtWindow   *w;
	CtCredentials cred;
	CtHttp	   *http;
	List	   *streams;
	HTAB	   *seen;			/* event IDs, when streams may overlap */
	int64		waited_ms;		/* spent waiting on throttling */
	CtLookupStats stats;
	bool		started;
};

/* ---------------------------------------------------------------- plan */

/* The attribute to send, or -1: the most selective the quals offer. */
static int
chosen_attr(CtFdwOptions *opts, CtWindow *w)
{
	for (int a = 0; a < CT_NUM_ATTRS; a++)
	{
		const char *k = ctfdw_attr_keys[a];

		if (!w->attr_pushed[a] || w->attr_unsendable[a])
			continue;
		if (opts->insight && strcmp(k, "EventId") != 0 && strcmp(k, "EventName") != 0 &&
			strcmp(k, "EventSource") != 0)
			continue;
		return a;
	}
	return -1;
}

/*
 * The regions to call: those of the window (the WHERE clause's, within the
 * table's regions option), else the server's region.
 */
static List *
lookup_regions(CtFdwOptions *opts, CtWindow *w)
{
	return w->regions_listed ? w->regions : list_make1(opts->region);
}

static int64
floor_epoch(TimestampTz t)
{
	return (int64) floor((double) t / USECS_PER_SEC) +
		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

static int64
ceil_epoch(TimestampTz t)
{
	return (int64) ceil((double) t / USECS_PER_SEC) +
		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/*
 * StartTime and EndTime of the calls.  An EndTime alone would leave AWS's
 * default start (the oldest event it keeps, some 90 days back), after an
 * EndTime older than that: InvalidTimeRangeException for a window that
 * simply holds nothing.  So an EndTime comes with a StartTime before
 * anything AWS keeps.  AWS refuses times it cannot read (years before 1 or
 * after 9999): bounds are sent within 1970 and AWS's clock, which hold
 * every event there is.
 */
#define LOOKUP_RETENTION_SECS (91 * SECS_PER_DAY)
#define LOOKUP_CLOCK_SKEW_SECS (15 * 60)

static void
call_times(CtWindow *w, bool *has_start, long long *start, bool *has_end, long long *end)
{
	long long	now = floor_epoch(GetCurrentTransactionStartTimestamp());

	*has_start = w->has_lower || w->has_upper;
	*has_end = w->has_upper;
	*end = 0;
	if (w->has_upper)
		*end = Min(Max(ceil_epoch(w->upper), 0), now + LOOKUP_CLOCK_SKEW_SECS);
	if (w->has_lower)
		*start = Max(floor_epoch(w->lower), 0);
	else if (w->has_upper)
		*start = Min(*end, now) - LOOKUP_RETENTION_SECS;
	else
		*start = 0;
}

/* What EXPLAIN shows: the parameters each region's calls will carry. */
void
ctfdw_lookup_describe(CtFdwOptions *opts, CtWindow *w, List **lines, List **endpoints)
{
	int			a = chosen_attr(opts, w);
	ListCell   *lc;
	bool		has_start,
				has_end;
	long long	start,
				end;

	call_times(w, &has_start, &start, &has_end, &end);
	foreach(lc, lookup_regions(opts, w))
	{
		StringInfoData b;

		if (endpoints)
			*endpoints = lappend(*endpoints, psprintf("%s: %s", (char *) lfirst(lc),
													  ctfdw_endpoint(opts, CT_SERVICE_CLOUDTRAIL, lfirst(lc))));
		initStringInfo(&b);
		appendStringInfo(&b, "%s:", (char *) lfirst(lc));
		if (a >= 0)
		{
			ListCell   *v;
			bool		first = true;

			appendStringInfo(&b, " %s=", ctfdw_attr_keys[a]);
			foreach(v, w->attr_values[a])
			{
				appendStringInfo(&b, "%s%s", first ? "" : "|", (char *) lfirst(v));
				first = false;
			}
		}
		if (has_start)
			appendStringInfo(&b, " StartTime=%lld", start);
		if (has_end)
			appendStringInfo(&b, " EndTime=%lld", end);
		if (opts->insight)
			appendStringInfoString(&b, " EventCategory=insight");
		if (a < 0 && !w->has_lower && !w->has_upper && !opts->insight)
			appendStringInfoString(&b, " (no parameters: the last 90 days)");
		*lines = lappend(*lines, b.data);
	}
}

/* ---------------------------------------------------------------- setup */

static void
lookup_cleanup(void *arg)
{
	CtLookupScan *s = arg;
	ListCell   *lc;

	foreach(lc, s->streams)
	{
		LkStream   *st = lfirst(lc);

		if (st->req)
			ct_http_free(st->req);
		st->req = NULL;
		ct_lookup_free(&st->page);
		free(st->next_token);
		st->next_token = NULL;
		ct_free_endpoint(&st->ep);
	}
	if (s->http)
		ct_http_destroy(s->http);
	s->http = NULL;
}

CtLookupScan *
ctfdw_lookup_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	CtLookupScan *s = palloc0(sizeof(CtLookupScan));
	MemoryContextCallback *cb = palloc0(sizeof(MemoryContextCallback));

	s->cxt = cxt;
	s->opts = opts;
	s->w = w;
	cb->func = lookup_cleanup;
	cb->arg = s;
	MemoryContextRegisterResetCallback(cxt, cb);
	MemoryContextSwitchTo(old);
	return s;
}

static int
limiter_for(CtLookupScan *s, const char *region)
{
	char		key[160];

	snprintf(key, sizeof(key), "%s/%s", s->cred.access_key_id, region);
	for (int i = 0; i < nlimiters; i++)
		if (strcmp(limiters[i].key, key) == 0)
			return i;
	if (nlimiters == max_limiters)
	{
		max_limiters = max_limiters ? max_limiters * 2 : 16;
		limiters = limiters ?
			repalloc(limiters, sizeof(RegionLimiter) * max_limiters) :
			MemoryContextAlloc(TopMemoryContext, sizeof(RegionLimiter) * max_limiters);
	}
	memset(&limiters[nlimiters], 0, sizeof(RegionLimiter));
	snprintf(limiters[nlimiters].key, sizeof(limiters[0].key), "%s", key);
	return nlimiters++;
}

static void
start(CtLookupScan *s)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);
	CtHttpConfig cfg;
	char		err[256];
	List	   *regions = lookup_regions(s->opts, s->w);
	int			a = chosen_attr(s->opts, s->w);
	ListCell   *lr;

	ctfdw_credentials(s->opts, &s->cred, false, s->cxt);
	foreach(lr, regions)
	{
		List	   *values = a >= 0 ? s->w->attr_values[a] : list_make1(NULL);
		ListCell   *lv;

		foreach(lv, values)
		{
			LkStream   *st = palloc0(sizeof(LkStream));
			char	   *url;

			st->region = lfirst(lr);
			st->attr_key = a >= 0 ? ctfdw_attr_keys[a] : NULL;
			st->attr_value = lfirst(lv);
			st->limiter = limiter_for(s, st->region);
			s->streams = lappend(s->streams, st);	/* owned by the scan from here on */
			url = ctfdw_endpoint(s->opts, CT_SERVICE_CLOUDTRAIL, st->region);
			if (!ct_parse_endpoint(url, &st->ep, err, sizeof(err)))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid CloudTrail endpoint \"%s\": %s", url, err)));
		}
	}
	/* resource values may match the same event twice: drop repeats */
	if (a >= 0 && list_length(s->w->attr_values[a]) > 1 &&
		(strcmp(ctfdw_attr_keys[a], "ResourceName") == 0 || strcmp(ctfdw_attr_keys[a], "ResourceType") == 0))
	{
		HASHCTL		ctl;

		ctl.keysize = 64;
		ctl.entrysize = 64;
		ctl.hcxt = s->cxt;
		s->seen = hash_create("cloudtrail_fdw seen events", 1024, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.connect_timeout_ms = s->opts->connect_timeout_ms;
	cfg.stall_timeout_s = s->opts->request_timeout_s;
	cfg.verify_tls = s->opts->verify_tls;
	cfg.ca_file = s->opts->ca_file;
	cfg.max_host_connections = 8;
	s->http = ct_http_create(&cfg);
	if (!s->http)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not initialize libcurl")));
	s->started = true;
	MemoryContextSwitchTo(old);
}

/* ---------------------------------------------------------------- calls */

static int64
now_ms(void)
{
	return GetCurrentTimestamp() / 1000;
}

/* When may the next call in this region go out? */
static int64
limiter_ready(RegionLimiter *l)
{
	/* a margin, as AWS counts calls when they arrive, not when they leave */
	return l->calls[0] ? l->calls[0] + 1100 : 0;
}

static void
limiter_take(RegionLimiter *l, int64 now)
{
	memmove(l->calls, l->calls + 1, sizeof(int64) * (CALLS_PER_SEC - 1));
	l->calls[CALLS_PER_SEC - 1] = now;
}

static void
send_call(CtLookupScan *s, LkStream *st, int64 now)
{
	CtLookupParams p;
	char	   *body;
	CtPrepared	prep;

	memset(&p, 0, sizeof(p));
	p.attr_key = st->attr_key;
	p.attr_value = st->attr_value;
	call_times(s->w, &p.has_start, &p.start, &p.has_end, &p.end);
	p.insight = s->opts->insight;
	p.next_token = st->next_token;
	p.max_results = LOOKUP_PAGE;
	body = ct_lookup_body(&p);
	if (!body)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (!ct_json_api_prepare(&prep, &st->ep, CT_LOOKUP_TARGET, body, st->region, &s->cred,
							 (long long) time(NULL)))
	{
		free(body);
		ct_prepared_free(&prep);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	st->req = ct_http_request(prep.url.data);
	for (int i = 0; st->req && i < prep.nheaders; i++)
		ct_http_add_header(st->req, prep.headers[i]);
	ct_prepared_free(&prep);
	if (!st->req)
	{
		free(body);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	st->req->post_body = body;
	st->req->post_len = strlen(body);
	st->req->arg = st;
	if (!ct_http_start(s->http, st->req))
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not start an HTTP request")));
	limiter_take(&limiters[st->limiter], now);
	st->started = true;
	s->stats.calls++;
}

static void
call_done(CtLookupScan *s, LkStream *st, CtHttpReq *req)
{
	CtAwsError e;

	st->req = NULL;
	if (req->curl_code == 0 && req->status == 200)
	{
		CtLookupPage page;
		char		err[256];

		if (!ct_lookup_parse(req->body.data, req->body.len, &page, err, sizeof(err)))
		{
			ct_http_free(req);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not read a LookupEvents reply from region %s: %s", st->region, err)));
		}
		ct_http_free(req);
		ct_lookup_free(&st->page);
		st->page = page;
		st->pos = 0;
		free(st->next_token);
		st->next_token = page.next_token ? ct_strdup(page.next_token) : NULL;
		st->exhausted = st->next_token == NULL;
		st->attempts = 0;
		s->stats.pages++;
		return;
	}
	ct_parse_aws_error(req->body.data, req->body.len, &e);
	if (ctfdw_credentials_expired(s->opts, e.code) && st->attempts++ < s->opts->max_retries)
	{
		ct_http_free(req);
		ctfdw_credentials(s->opts, &s->cred, true, s->cxt);
		return;					/* called again with fresh credentials */
	}
	if (strcmp(e.code, "InvalidNextTokenException") == 0)
	{
		ct_http_free(req);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_ERROR),
				 errmsg("LookupEvents rejected its own paging token in region %s", st->region),
				 errdetail("AWS error %s: %s", e.code, e.message),
				 errhint("Run the query again; the token may have expired.")));
	}
	if (ct_http_retryable(req, e.code))
	{
		int64		wait = ctfdw_backoff_ms(st->attempts++, THROTTLE_BASE_MS, THROTTLE_CAP_MS);

		if (strcmp(e.code, "ThrottlingException") == 0)
			s->stats.throttled++;
		else
			s->stats.retries++;
		if ((s->waited_ms + wait) * 1000 <= s->opts->lookup_max_wait)
		{
			s->waited_ms += wait;
			st->retry_at = now_ms() + wait;
			ct_http_free(req);
			return;
		}
		ctfdw_fail_request(req, psprintf("look up events in region %s: gave up after waiting %.1f s on throttling and errors (lookup_max_wait)",
										 st->region, s->waited_ms / 1000.0));
	}
	ctfdw_fail_request(req, psprintf("look up events in region %s", st->region));
}

/* Does this stream need a page before the merge can go on? */
static bool
needs_page(LkStream *st)
{
	return st->pos >= st->page.nevents && !(st->started && st->exhausted);
}

/* Fetch pages until every stream has a next event or has ended. */
static void
fill(CtLookupScan *s)
{
	for (;;)
	{
		ListCell   *lc;
		bool		waiting = false;
		int64		now = now_ms();
		int64		wake = now + 100;
		CtHttpReq  *req;

		CHECK_FOR_INTERRUPTS();
		foreach(lc, s->streams)
		{
			LkStream   *st = lfirst(lc);
			int64		ready;

			if (!needs_page(st))
				continue;
			waiting = true;
			if (st->req)
				continue;
			ready = Max(st->retry_at, limiter_ready(&limiters[st->limiter]));
			if (ready <= now)
				send_call(s, st, now);
			else
				wake = Min(wake, ready);
		}
		if (!waiting)
			return;
		if (ct_http_poll(s->http, (int) Max(0, Min(100, wake - now))) < 0)
			CHECK_FOR_INTERRUPTS();
		while ((req = ct_http_next_done(s->http)) != NULL)
			call_done(s, (LkStream *) req->arg, req);
	}
}

bool
ctfdw_lookup_next(CtLookupScan *s, const char **rec, size_t *len, void **resources)
{
	if (s->w->empty)
		return false;
	if (!s->started)
		start(s);
	for (;;)
	{
		LkStream   *best = NULL;
		CtLookupEvent *ev;
		ListCell   *lc;

		fill(s);
		foreach(lc, s->streams)
		{
			LkStream   *st = lfirst(lc);

			if (st->pos < st->page.nevents &&
				(!best || st->page.events[st->pos].event_time >
				 best->page.events[best->pos].event_time))
				best = st;
		}
		if (!best)
			return false;
		ev = &best->page.events[best->pos++];
		if (s->seen && ev->event_id)
		{
			bool		found;

			if (strlen(ev->event_id) < 64)
			{
				hash_search(s->seen, ev->event_id, HASH_ENTER, &found);
				if (found)
					continue;
			}
		}
		*rec = ev->cloudtrail_event;
		*len = ev->cloudtrail_event_len;
		*resources = ev->resources;
		s->stats.events++;
		return true;
	}
}

CtLookupStats *
ctfdw_lookup_stats(CtLookupScan *s)
{
	return &s->stats;
}

void
ctfdw_lookup_rescan(CtLookupScan *s)
{
	lookup_cleanup(s);
	s->streams = NIL;
	s->started = false;
	s->seen = NULL;
	s->waited_ms = 0;
}

void
ctfdw_lookup_end(CtLookupScan *s)
{
	lookup_cleanup(s);
}

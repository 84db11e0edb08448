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
 * This file is the source "lookup_events": its streams, its calls (through
 * the scan's session), its ordering (newest first, as a pathkey) and its
 * EXPLAIN.
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
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/paths.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "cloudtrail_fdw.h"
#include "compat.h"
#include "ct_cloudtrail.h"
#include "session.h"
#include "source.h"

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
	char	   *key;			/* access key id '/' region */
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
	int			pos;			/* next event of page */
	CtHttpReq  *req;
	CtTry		try;
	int			limiter;		/* index into limiters */
} LkStream;

typedef struct CtLookupStats
{
	int64		calls;
	int64		pages;
	int64		events;
} CtLookupStats;

typedef struct CtLookupScan
{
	MemoryContext cxt;
	CtFdwOptions *opts;
	CtWindow   *w;
	CtSession  *session;		/* made at the first fetch; kept by rescans */
	List	   *streams;
	HTAB	   *seen;			/* event IDs, when streams may overlap */
	CtRetryPolicy policy;		/* its waited_ms: spent on throttling */
	CtLookupStats stats;
	int64		recno;			/* events returned since the last rescan */
	TimestampTz progress_at;	/* last progress notice */
	bool		started;
} CtLookupScan;

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
static void
describe_calls(CtFdwOptions *opts, CtWindow *w, List **lines, List **endpoints)
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

		ct_http_free(st->req);
		st->req = NULL;
		ct_lookup_free(&st->page);
		free(st->next_token);
		st->next_token = NULL;
	}
}

static void *
lookup_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt)
{
	CtLookupScan *s = ctfdw_alloc_owned(cxt, sizeof(CtLookupScan), lookup_cleanup);

	s->cxt = cxt;
	s->opts = opts;
	s->w = w;
	s->policy = (CtRetryPolicy)
	{
		THROTTLE_BASE_MS, THROTTLE_CAP_MS, INT_MAX, opts->lookup_max_wait / 1000, 0
	};
	return s;
}

static int
limiter_for(CtLookupScan *s, const char *region)
{
	char	   *key = psprintf("%s/%s", ctfdw_session_credentials(s->session)->access_key_id, region);

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
	limiters[nlimiters].key = MemoryContextStrdup(TopMemoryContext, key);
	return nlimiters++;
}

/* One stream per region called and per value of the attribute sent. */
static void
open_streams(CtLookupScan *s)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);
	int			a = chosen_attr(s->opts, s->w);
	ListCell   *lr;

	if (!s->session)
		s->session = ctfdw_session_open(s->opts, 8, NULL, s->cxt);
	foreach(lr, lookup_regions(s->opts, s->w))
	{
		List	   *values = a >= 0 ? s->w->attr_values[a] : list_make1(NULL);
		ListCell   *lv;

		foreach(lv, values)
		{
			LkStream   *st = palloc0(sizeof(LkStream));

			st->region = lfirst(lr);
			st->attr_key = a >= 0 ? ctfdw_attr_keys[a] : NULL;
			st->attr_value = lfirst(lv);
			st->limiter = limiter_for(s, st->region);
			s->streams = lappend(s->streams, st);	/* owned by the scan from here on */
		}
	}
	/* resource values may match the same event twice: drop repeats */
	if (a >= 0 && list_length(s->w->attr_values[a]) > 1 &&
		(a == CT_ATTR_RESOURCE_NAME || a == CT_ATTR_RESOURCE_TYPE))
	{
		HASHCTL		ctl;

		ctl.keysize = 64;
		ctl.entrysize = 64;
		ctl.hcxt = s->cxt;
		s->seen = hash_create("cloudtrail_fdw seen events", 1024, &ctl,
							  HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	}
	s->started = true;
	MemoryContextSwitchTo(old);
}

/* ---------------------------------------------------------------- calls */

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

	memset(&p, 0, sizeof(p));
	p.attr_key = st->attr_key;
	p.attr_value = st->attr_value;
	call_times(s->w, &p.has_start, &p.start, &p.has_end, &p.end);
	p.insight = s->opts->insight;
	p.next_token = st->next_token;
	p.max_results = LOOKUP_PAGE;
	if ((body = ct_lookup_body(&p)) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	st->req = ctfdw_session_json(s->session, CT_SERVICE_CLOUDTRAIL, st->region,
								 CT_LOOKUP_TARGET, body);
	st->req->arg = st;
	ctfdw_session_start(s->session, st->req);
	limiter_take(&limiters[st->limiter], now);
	st->started = true;
	s->stats.calls++;
}

static void
call_done(CtLookupScan *s, LkStream *st, CtHttpReq *req)
{
	CtWhat		what = {CT_OP_LOOKUP, NULL, st->region};
	CtLookupPage page;
	char		err[256];

	st->req = NULL;
	if (req->status == 400)
	{
		CtAwsError e;

		ct_parse_aws_error(req->body.data, req->body.len, &e);
		if (strcmp(e.code, "InvalidNextTokenException") == 0)
		{
			ct_http_free(req);
			ereport(ERROR,
					(errcode(ERRCODE_FDW_ERROR),
					 errmsg("LookupEvents rejected its own paging token in region %s", st->region),
					 errdetail("AWS error %s: %s", e.code, e.message),
					 errhint("Run the query again; the token may have expired.")));
		}
	}
	if (ctfdw_session_judge(s->session, req, &st->try, &s->policy, &what) != CT_REPLY_DONE)
		return;					/* called again, now or at st->try.retry_at */
	if (!ct_lookup_parse(req->body.data, req->body.len, &page, err, sizeof(err)))
	{
		ct_http_free(req);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not read a LookupEvents reply from region %s", st->region),
				 errdetail_internal("%s", err)));
	}
	ct_http_free(req);
	ct_lookup_free(&st->page);
	st->page = page;
	st->pos = 0;
	free(st->next_token);
	st->next_token = page.next_token ? ct_strdup(page.next_token) : NULL;
	st->exhausted = st->next_token == NULL;
	s->stats.pages++;
}

/* Does this stream need a page before the merge can go on? */
static bool
needs_page(LkStream *st)
{
	return st->pos >= st->page.nevents && !(st->started && st->exhausted);
}

static int
streams_paging(CtLookupScan *s)
{
	ListCell   *lc;
	int			n = 0;

	foreach(lc, s->streams)
		n += !((LkStream *) lfirst(lc))->exhausted;
	return n;
}

/* Fetch pages until every stream has a next event or has ended. */
static void
fetch_pages(CtLookupScan *s)
{
	for (;;)
	{
		ListCell   *lc;
		bool		waiting = false;
		int64		now = ctfdw_now_ms();
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
			ready = Max(st->try.retry_at, limiter_ready(&limiters[st->limiter]));
			if (ready <= now)
				send_call(s, st, now);
			else
				wake = Min(wake, ready);
		}
		if (!waiting)
			return;
		if (ctfdw_progress_due(&s->progress_at))
			ereport(NOTICE,
					(errmsg("scan progress: %lld LookupEvents calls, %lld pages and %lld events",
							(long long) s->stats.calls, (long long) s->stats.pages,
							(long long) s->stats.events),
					 errdetail("%d call streams (regions and attribute values) are still paging.",
							   streams_paging(s))));
		ctfdw_session_wait(s->session, (int) Max(0, Min(100, wake - now)));
		while ((req = ctfdw_session_next_done(s->session)) != NULL)
			call_done(s, (LkStream *) req->arg, req);
	}
}

/* The newest event of the streams, or NULL when all have ended. */
static CtLookupEvent *
newest_event(CtLookupScan *s)
{
	LkStream   *best = NULL;
	ListCell   *lc;

	foreach(lc, s->streams)
	{
		LkStream   *st = lfirst(lc);

		if (st->pos < st->page.nevents &&
			(!best || st->page.events[st->pos].event_time >
			 best->page.events[best->pos].event_time))
			best = st;
	}
	return best ? &best->page.events[best->pos++] : NULL;
}

static bool
lookup_next(void *scan, CtRow *row)
{
	CtLookupScan *s = scan;
	CtLookupEvent *ev;

	if (s->w->empty)
		return false;
	if (!s->started)
		open_streams(s);
	for (;;)
	{
		fetch_pages(s);
		if ((ev = newest_event(s)) == NULL)
			return false;
		if (s->seen && ev->event_id && strlen(ev->event_id) < 64)
		{
			bool		found;

			hash_search(s->seen, ev->event_id, HASH_ENTER, &found);
			if (found)
				continue;
		}
		row->rec = ev->cloudtrail_event;
		row->len = ev->cloudtrail_event_len;
		row->api_resources = ev->resources;
		row->log_file = NULL;
		row->recno = ++s->recno;
		s->stats.events++;
		return true;
	}
}

static void
lookup_rescan(void *scan)
{
	CtLookupScan *s = scan;

	lookup_cleanup(s);
	s->streams = NIL;
	s->started = false;
	s->seen = NULL;
	s->recno = 0;
	s->policy.waited_ms = 0;
}

static void
lookup_end(void *scan)
{
	lookup_cleanup(scan);
}

/* ---------------------------------------------------------------- planning */

/*
 * Event-history scans come out newest first, as LookupEvents returns them:
 * say so, and ORDER BY event_time DESC LIMIT n needs no sort and stops
 * after n rows.
 */
static List *
lookup_pathkeys(PlannerInfo *root, RelOptInfo *baserel, List *columns)
{
	return ctfdw_event_time_pathkeys(root, baserel, columns, true);
}

/* ---------------------------------------------------------------- EXPLAIN */

static void
lookup_explain(CtFdwOptions *o, CtWindow *w, bool known, bool runtime, void *scan,
			   ExplainState *es)
{
	ExplainPropertyText("CloudTrail Source",
						o->insight ? "LookupEvents (Insights events)" : "LookupEvents", es);
	if (!known)
		ExplainPropertyText("Calls", "computed at run time", es);
	else if (w->empty)
		ExplainPropertyText("Calls", psprintf("none (the WHERE clause matches nothing)%s",
											  runtime ? " (computed at run time)" : ""), es);
	else
	{
		List	   *lines = NIL,
				   *endpoints = NIL;

		describe_calls(o, w, &lines, &endpoints);
		if (runtime)
			lines = lappend(lines, "(computed at run time)");
		ExplainPropertyList("Calls", lines, es);
		if (es->verbose && o->endpoint == NULL)
			ExplainPropertyList("Endpoints", endpoints, es);
	}
	if (es->analyze && scan)
	{
		CtLookupScan *s = scan;
		CtSessionStats *ss = s->session ? ctfdw_session_stats(s->session) : NULL;

		ExplainPropertyInteger("LookupEvents Calls", NULL, s->stats.calls, es);
		ExplainPropertyInteger("Pages", NULL, s->stats.pages, es);
		ExplainPropertyInteger("Throttled", NULL, ss ? ss->throttled : 0, es);
		ExplainPropertyInteger("Retries", NULL, ss ? ss->retries : 0, es);
		ExplainPropertyInteger("Events", NULL, s->stats.events, es);
	}
}

const CtSourceRoutine ctfdw_lookup_events_source = {
	.name = "lookup_events",
	.description = "source 'lookup_events'",
	.kind = CT_TABLE_HISTORY,
	.network = true,
	.pathkeys = lookup_pathkeys,
	.begin = lookup_begin,
	.next = lookup_next,
	.rescan = lookup_rescan,
	.end = lookup_end,
	.explain = lookup_explain,
};

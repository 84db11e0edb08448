/*-------------------------------------------------------------------------
 *
 * trail.c
 *		Trail tables: the sources "s3" and "directory", the trail's key
 *		layout, and what a window lets a scan list and fetch.
 *
 * Accounts and regions named by the table options or the WHERE clause skip
 * the discovery listings (see trail.h).  A files stream starts after the
 * first file that can hold an event of the time window and stops at the
 * first file delivered after its end (plus max_delivery_delay): key names
 * sort by delivery time.  The two sources differ only in their object
 * store.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/trail.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "trail.h"

CtSyncHook *ctfdw_sync_hook = NULL;

int64
ctfdw_to_epoch(TimestampTz t)
{
	return (int64) (t / USECS_PER_SEC) +
		(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

TimestampTz
ctfdw_from_epoch(int64 secs)
{
	return (TimestampTz) (secs - (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY) *
		USECS_PER_SEC;
}

/* ---------------------------------------------------------------- streams */

static void
add_stream(CtTrailScan *s, StreamKind kind, char *prefix, const char *account,
		   const char *region)
{
	/* streams live for the scan, whatever context the caller lists in */
	MemoryContext old = MemoryContextSwitchTo(s->cxt ? s->cxt : CurrentMemoryContext);
	ListStream *st = palloc0(sizeof(ListStream));

	st->kind = kind;
	st->prefix = pstrdup(prefix);
	st->account = account ? pstrdup(account) : NULL;
	st->region = region ? pstrdup(region) : NULL;
	if (kind == STREAM_FILES && s->bounded_lo)
	{
		CtBuf		b = CT_BUF_INIT;

		ct_trail_start_after(&b, prefix, account, s->opts->insight, region, s->stamp_lo);
		st->start_after = pstrdup(b.data);
		ct_buf_free(&b);
	}
	if (kind == STREAM_FILES && s->sync)
		st->start_after = s->sync->start_after(s->sync->arg, prefix);
	if (kind == STREAM_FILES && s->order)
		ctfdw_order_lane(s, st);
	s->streams = lappend(s->streams, st);
	MemoryContextSwitchTo(old);
}

static char *
region_prefix(CtTrailScan *s, const char *account, const char *region)
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
root_prefix(CtTrailScan *s, const char *org)
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

static const char *
event_folder(CtTrailScan *s)
{
	return s->opts->insight ? "CloudTrail-Insight" : "CloudTrail";
}

/* The folders of account: each region of the window, or discovery. */
static void
add_account(CtTrailScan *s, const char *account_prefix, const char *account)
{
	char	   *folder = psprintf("%s%s/", account_prefix, event_folder(s));
	ListCell   *lr;

	if (!s->w->regions_listed)
	{
		add_stream(s, STREAM_ACCOUNT, folder, account, NULL);
		return;
	}
	foreach(lr, s->w->regions)
		add_stream(s, STREAM_FILES, psprintf("%s%s/", folder, (char *) lfirst(lr)),
				   account, lfirst(lr));
}

/* The first streams of a scan with this window. */
void
ctfdw_plan_streams(CtTrailScan *s)
{
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
	foreach(la, s->w->accounts)
	{
		if (!s->w->regions_listed)
		{
			add_account(s, psprintf("%s%s/", root_prefix(s, s->opts->organization_id),
									(char *) lfirst(la)), lfirst(la));
			continue;
		}
		foreach(lr, s->w->regions)
			add_stream(s, STREAM_FILES, region_prefix(s, lfirst(la), lfirst(lr)),
					   lfirst(la), lfirst(lr));
	}
}

/* ---------------------------------------------------------------- pages */

static bool
str_in(List *l, const char *v)
{
	ListCell   *lc;

	foreach(lc, l)
		if (strcmp(lfirst(lc), v) == 0)
			return true;
	return false;
}

/* A folder of a discovery listing: an account, an organization or a region. */
static void
take_folder(CtTrailScan *s, ListStream *st, const char *p, const char *seg)
{
	if (st->kind == STREAM_ROOT)
	{
		bool		org = strncmp(seg, "o-", 2) == 0 && !s->opts->organization_id;

		st->folders += ctfdw_valid_account(seg) || org;
		if (ctfdw_valid_account(seg) && (!s->w->accounts_listed || str_in(s->w->accounts, seg)))
			add_account(s, p, seg);
		else if (org)
			add_stream(s, STREAM_ROOT, pstrdup(p), NULL, NULL); /* organization trail */
	}
	else if (st->kind == STREAM_ACCOUNT)
	{
		st->folders += ctfdw_valid_region(seg);
		if (ctfdw_valid_region(seg) && (!s->w->regions_listed || str_in(s->w->regions, seg)))
			add_stream(s, STREAM_FILES, pstrdup(p), st->account, seg);
	}
}

/*
 * A discovery listing found no folder at all (not merely none the query
 * wants): say so, as a wrong bucket, prefix or organization_id reads
 * nothing.  Once per scan: in a parallel scan only the lister lists.
 */
static void
report_empty(CtTrailScan *s, ListStream *st)
{
	char	   *where;

	/* an account the WHERE clause names: that it has nothing is the answer */
	if (st->kind == STREAM_ACCOUNT && s->w->accounts_pushed)
		return;
	where = s->store->name(s, st->prefix);

	if (st->kind == STREAM_ROOT)
		ereport(NOTICE,
				(errmsg("no account folder found under \"%s\"", where),
				 errdetail("A trail writes AWSLogs/<account ID>/CloudTrail/, or AWSLogs/<organization ID>/<account ID>/CloudTrail/ for an organization trail."),
				 errhint("Check the table's options bucket (or directory), prefix and organization_id.")));
	else
		ereport(NOTICE,
				(errmsg("no region folder found under \"%s\"", where),
				 errdetail("A trail writes a folder per region it logs, such as %sus-east-1/.", st->prefix),
				 errhint("Check the table's option event_files and whether the trail logs this account.")));
}

/* A key of a files listing: queue it if the window allows; false: stop here. */
bool
ctfdw_take_key(CtTrailScan *s, ListStream *st, const char *key)
{
	CtTrailKey	k;

	if (!ct_trail_file_key(key, st->prefix, st->account, st->region, s->opts->insight, &k))
	{
		/*
		 * CloudTrail puts nothing else in these folders; and only such a key
		 * is fetched: under the prefix, no dot segments, nothing odd
		 */
		ereport(s->opts->on_error_skip ? WARNING : ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 s->opts->insight ?
				 errmsg("object \"%s\" in bucket \"%s\" is not a CloudTrail Insights file of account %s and region %s",
						key, s->opts->bucket ? s->opts->bucket : s->opts->directory,
						st->account, st->region) :
				 errmsg("object \"%s\" in bucket \"%s\" is not a CloudTrail log file of account %s and region %s",
						key, s->opts->bucket ? s->opts->bucket : s->opts->directory,
						st->account, st->region),
				 s->opts->on_error_skip ? 0 :
				 errhint("Table option on_error 'skip' skips such objects with a warning.")));
		return true;
	}
	if (s->bounded_hi && k.stamp > s->stamp_hi)
		return false;			/* keys sort by delivery time: nothing later matters */
	if (s->sync)
	{
		CtSyncTake	t = s->sync->take(s->sync->arg, st->prefix, key);

		if (t == CT_SYNC_TAKE)
			ctfdw_enqueue(s, st, key);
		return t != CT_SYNC_STOP;
	}
	if (!s->bounded_lo || k.stamp + 59 >= s->stamp_lo)
		ctfdw_enqueue(s, st, key);
	return true;
}

/*
 * Take one listed page (from S3 or a directory) for a stream: spawn streams
 * for discovered folders, queue files inside the window.
 */
void
ctfdw_take_page(CtTrailScan *s, ListStream *st, CtS3ListPage *page)
{
	size_t		plen = strlen(st->prefix);

	if (st->lane)
	{
		ctfdw_order_take_page(s, st, page);
		return;
	}
	for (int i = 0; i < page->nprefixes; i++)
	{
		const char *p = page->prefixes[i];

		if (strlen(p) <= plen || strncmp(p, st->prefix, plen) != 0)
			continue;
		/* the folder's name, without the trailing '/' */
		take_folder(s, st, p, pnstrdup(p + plen, strlen(p + plen) - 1));
	}
	for (int i = 0; i < page->nobjects; i++)
	{
		s->stats.listed++;
		if (st->kind == STREAM_FILES && !ctfdw_take_key(s, st, page->objects[i].key))
		{
			st->done = true;
			return;
		}
	}
	if (page->truncated && page->next_token)
	{
		st->token = MemoryContextStrdup(s->cxt, page->next_token);
		st->start_after = NULL;
	}
	else if (!page->truncated)
		st->done = true;
	if (st->done && st->kind != STREAM_FILES && st->folders == 0)
		report_empty(s, st);
}

/* ---------------------------------------------------------------- EXPLAIN */

/* What a scan with this window will list.  Nothing here talks to AWS. */
static List *
describe_prefixes(CtFdwOptions *opts, CtWindow *w)
{
	CtTrailScan fake;
	ListCell   *lc;
	List	   *lines = NIL;

	memset(&fake, 0, sizeof(fake));
	fake.opts = opts;
	fake.w = w;
	fake.bounded_lo = w->has_lower;
	if (w->has_lower)
		fake.stamp_lo = ctfdw_to_epoch(w->lower);
	ctfdw_plan_streams(&fake);
	foreach(lc, fake.streams)
	{
		ListStream *st = lfirst(lc);

		if (st->kind != STREAM_FILES)
			lines = lappend(lines, psprintf("%s (discover)", st->prefix));
		else if (w->order != CT_ORDER_NONE)
			lines = lappend(lines, psprintf("%s (date folders, %s first)", st->prefix,
											w->order == CT_ORDER_DESC ? "newest" : "oldest"));
		else if (st->start_after)
			lines = lappend(lines, psprintf("%s from %s", st->prefix,
											st->start_after + strlen(st->prefix)));
		else
			lines = lappend(lines, st->prefix);
	}
	return lines;
}

/*
 * What a list of pruned values says: "a, b (from WHERE)", the table's
 * option, or discovery.
 */
static char *
names_text(List *values, bool pushed, bool listed)
{
	if (!listed)
		return "all (discovered by listing)";
	return psprintf("%s%s", values ? ctfdw_list_text(values) : "none",
					pushed ? " (from WHERE)" : "");
}

static char *
window_text(CtWindow *w, bool known, bool runtime)
{
	StringInfoData b;

	initStringInfo(&b);
	if (!known)
		return "computed at run time";
	if (w->empty)
		appendStringInfoString(&b, "empty (nothing is read)");
	else if (!w->has_lower && !w->has_upper)
		appendStringInfoString(&b, "unbounded");
	else
	{
		/* timestamptz_to_str() returns a static buffer: copy the first */
		char	   *from = pstrdup(w->has_lower ? timestamptz_to_str(w->lower) : "-infinity");

		appendStringInfo(&b, "%s .. %s", from,
						 w->has_upper ? timestamptz_to_str(w->upper) : "infinity");
	}
	if (runtime)
		appendStringInfoString(&b, " (computed at run time)");
	return b.data;
}

static void
explain_stats(CtTrailScan *s, ExplainState *es)
{
	CtSessionStats *ss = s->session ? ctfdw_session_stats(s->session) : NULL;

	ExplainPropertyInteger("Objects Listed", NULL, s->stats.listed, es);
	ExplainPropertyInteger("Objects Fetched", NULL, s->stats.fetched, es);
	ExplainPropertyInteger("Bytes Fetched", NULL, s->stats.bytes, es);
	ExplainPropertyInteger("List Requests", NULL, s->stats.lists, es);
	ExplainPropertyInteger("Requests", NULL, ss ? ss->requests : 0, es);
	ExplainPropertyInteger("Retries", NULL, ss ? ss->retries + ss->throttled : 0, es);
	ExplainPropertyInteger("Records", NULL, s->stats.records, es);
	if (s->stats.skipped_files)
		ExplainPropertyInteger("Skipped Files", NULL, s->stats.skipped_files, es);
}

static void
trail_explain(CtFdwOptions *o, CtWindow *w, bool known, bool runtime, void *scan,
			  ExplainState *es)
{
	bool		s3 = o->source == &ctfdw_s3_source;

	ExplainPropertyText("CloudTrail Source",
						s3 ? psprintf("s3://%s/%s", o->bucket, o->prefix ? o->prefix : "") :
						o->directory, es);
	if (es->verbose && s3 && o->s3_endpoint == NULL)
		ExplainPropertyText("Endpoint", ctfdw_endpoint(o, CT_SERVICE_S3, o->region), es);
	ExplainPropertyText("Event Files", o->insight ? "insight" : "log", es);
	ExplainPropertyText("Time Window", window_text(w, known, runtime), es);
	if (w->order != CT_ORDER_NONE)
		ExplainPropertyText("Read Order", w->order == CT_ORDER_DESC ?
							"newest first (event_time DESC)" : "oldest first (event_time ASC)", es);
	if (!known || w->has_upper)
	{
		Interval	iv = {o->max_delivery_delay, 0, 0};

		ExplainPropertyText("Delivery Delay",
							DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(&iv))),
							es);
	}
	ExplainPropertyText("Accounts", known ? names_text(w->accounts, w->accounts_pushed,
													   w->accounts_listed) :
						"computed at run time", es);
	ExplainPropertyText("Regions", known ? names_text(w->regions, w->regions_pushed,
													  w->regions_listed) :
						"computed at run time", es);
	if (es->verbose && known && !w->empty)
		ExplainPropertyList("Listing", describe_prefixes(o, w), es);
	if (es->analyze && scan)
		explain_stats(scan, es);
}

/* ---------------------------------------------------------------- sources */

/* The first trail scan begun while cloudtrail_sync waits for one is its. */
static void *
claim_sync(CtTrailScan *s)
{
	if (ctfdw_sync_hook && !ctfdw_sync_hook->claimed)
	{
		ctfdw_sync_hook->claimed = true;
		s->sync = ctfdw_sync_hook;
	}
	return s;
}

static void *
s3_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt)
{
	return claim_sync(ctfdw_trail_begin(opts, w, cxt, &ctfdw_s3_store));
}

static void *
dir_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt)
{
	return claim_sync(ctfdw_trail_begin(opts, w, cxt, &ctfdw_dir_store));
}

static void
trail_end(void *scan)
{
	CtTrailScan *s = scan;

	if (s->sync)
		s->sync->finish(s->sync->arg, s);
	ctfdw_shared_stop(s);
	ctfdw_trail_end(scan);
}

const CtSourceRoutine ctfdw_s3_source = {
	.name = "s3",
	.description = "a trail table",
	.kind = CT_TABLE_TRAIL,
	.network = true,
	.parameterized = true,
	.ordered = true,
	.dsm_size = ctfdw_shared_size,
	.dsm_init = ctfdw_shared_init,
	.dsm_attach = ctfdw_shared_attach,
	.dsm_shutdown = ctfdw_shared_stop,
	.begin = s3_begin,
	.next = ctfdw_trail_next,
	.rescan = ctfdw_trail_rescan,
	.end = trail_end,
	.explain = trail_explain,
};

const CtSourceRoutine ctfdw_directory_source = {
	.selected_by = "directory",
	.description = "a trail table",
	.kind = CT_TABLE_TRAIL,
	.parameterized = true,
	.ordered = true,
	.dsm_size = ctfdw_shared_size,
	.dsm_init = ctfdw_shared_init,
	.dsm_attach = ctfdw_shared_attach,
	.dsm_shutdown = ctfdw_shared_stop,
	.begin = dir_begin,
	.next = ctfdw_trail_next,
	.rescan = ctfdw_trail_rescan,
	.end = trail_end,
	.explain = trail_explain,
};

/*-------------------------------------------------------------------------
 *
 * fetch.c
 *		The fetch engine of trail scans: what to list and read when, and
 *		the records, one at a time.
 *
 * Listed files wait in a queue; up to max_concurrency objects are read at
 * once, each through its own record reader (gunzip and record splitting).
 * Listing pauses while QUEUE_LIMIT files wait, and at most LISTS_IN_FLIGHT
 * pages are listed at once, whatever max_concurrency is, so listings hold
 * at most 16 MB.  The store (S3 or a directory) does the I/O.
 *
 * Every malloc'd thing (readers, requests, open files) hangs off the
 * CtTrailScan, whose memory context has a reset callback that frees them,
 * so an ERROR anywhere leaks nothing.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/fetch.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"

#include "trail.h"

#define QUEUE_LIMIT		10000	/* listed files waiting before listing pauses */

/* ---------------------------------------------------------------- cleanup */

static void
free_object(CtTrailScan *s, ObjState *o)
{
	s->store->release(o);
	if (o->rr)
		ct_rr_destroy(o->rr);
	o->rr = NULL;
}

/* Reset callback of the scan's context: frees every foreign resource. */
static void
scan_cleanup(void *arg)
{
	CtTrailScan *s = arg;
	ListCell   *lc;

	for (int i = 0; i < s->nactive; i++)
		free_object(s, s->active[i]);
	s->nactive = 0;
	s->current = NULL;
	if (s->store->release_stream)
		foreach(lc, s->streams)
			s->store->release_stream(lfirst(lc));
}

CtTrailScan *
ctfdw_trail_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt,
				  const CtStoreRoutine *store)
{
	CtTrailScan *s = ctfdw_alloc_owned(cxt, sizeof(CtTrailScan), scan_cleanup);

	s->cxt = cxt;
	s->work_cxt = AllocSetContextCreate(cxt, "cloudtrail_fdw scan work", ALLOCSET_DEFAULT_SIZES);
	s->opts = opts;
	s->w = w;
	s->store = store;
	return s;
}

void
ctfdw_trail_rescan(void *scan)
{
	CtTrailScan *s = scan;

	scan_cleanup(s);
	ctfdw_order_end(s);
	s->streams = NIL;
	s->qhead = s->qtail = 0;
	s->started = false;
	s->lister = false;
	s->idle_since = 0;
	s->gave_up = false;
}

void
ctfdw_trail_end(void *scan)
{
	scan_cleanup(scan);
}

/* ---------------------------------------------------------------- objects */

static void
object_failed(CtTrailScan *s, ObjState *o, const char *why)
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

/* A listed key inside the window: to be read. */
void
ctfdw_enqueue(CtTrailScan *s, ListStream *st, const char *key)
{
	if (st->lane)
	{
		ctfdw_order_enqueue(s, st, key);
		return;
	}
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
queued(CtTrailScan *s)
{
	return s->qtail - s->qhead;
}

/* The object is read (or skipped): free it. */
void
ctfdw_object_done(CtTrailScan *s, ObjState *o)
{
	s->stats.bytes += ct_rr_bytes_in(o->rr);
	if (s->order)
		ctfdw_order_file_done(s, o);
	free_object(s, o);
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

/* Is arg one of the objects being read (and not a listing stream)? */
bool
ctfdw_is_active(CtTrailScan *s, void *arg)
{
	for (int i = 0; i < s->nactive; i++)
		if (s->active[i] == arg)
			return true;
	return false;
}

/* Start reading key (in the scan's context, owned by the object from here). */
ObjState *
ctfdw_fetch(CtTrailScan *s, char *key)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);
	ObjState   *o = palloc0(sizeof(ObjState));
	bool		gz = strlen(key) > 3 && strcmp(key + strlen(key) - 3, ".gz") == 0;

	o->key = key;
	o->file = -1;
	o->log_file = s->store->name(s, key);
	MemoryContextSwitchTo(old);
	s->active[s->nactive++] = o;	/* owned by the scan from here on */
	o->rr = ct_rr_create(gz);
	if (!o->rr)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("could not create a gzip stream")));
	ct_rr_set_max_size(o->rr, s->opts->max_object_size);
	s->store->fetch(s, o);
	s->stats.fetched++;
	return o;
}

/* ---------------------------------------------------------------- engine */

static bool
streams_pending(CtTrailScan *s)
{
	ListCell   *lc;

	foreach(lc, s->streams)
		if (!((ListStream *) lfirst(lc))->done)
			return true;
	return false;
}

/* List the pages that may be listed now. */
static void
start_listing(CtTrailScan *s, int64 now)
{
	ListCell   *lc;
	int			listing = 0;

	foreach(lc, s->streams)
		if (((ListStream *) lfirst(lc))->req)
			listing++;
	foreach(lc, s->streams)
	{
		ListStream *st = lfirst(lc);

		/* an ordered scan lists its lanes when their turn comes */
		if (st->lane || st->done || st->req || (st->try.retry_at && st->try.retry_at > now))
			continue;
		/* listing memory is bounded whatever max_concurrency is */
		if (s->store->concurrent && listing >= LISTS_IN_FLIGHT)
			break;
		/* files streams wait while enough files are queued */
		if (st->kind == STREAM_FILES && queued(s) >= QUEUE_LIMIT)
			continue;
		st->try.retry_at = 0;
		s->store->list(s, st);
		if (s->store->concurrent)
			listing++;
	}
}

/*
 * Parallel: the lister puts what it queued in the shared ring, in listing
 * order; then every participant takes keys from the ring while it has room
 * (a directory is read one file at a time: one each, so that the last files
 * are shared out too).
 */
static void
start_shared(CtTrailScan *s)
{
	int			room = s->store->concurrent ? s->opts->max_concurrency : 1;
	char	   *key;

	if (s->lister)
	{
		bool		put = false;

		while (queued(s) > 0 && ctfdw_shared_put(s, s->queue[s->qhead].key))
		{
			pfree(s->queue[s->qhead++].key);
			put = true;
		}
		if (queued(s) == 0 && !streams_pending(s))
			ctfdw_shared_wake(s, true);
		else if (put)
			ctfdw_shared_wake(s, false);
	}
	while (s->nactive < room && (key = ctfdw_shared_take(s)) != NULL)
		ctfdw_fetch(s, key);
}

/* Start what may start now: list pages, retries and new objects. */
static void
start_work(CtTrailScan *s, int64 now)
{
	start_listing(s, now);
	if (s->shared)
		start_shared(s);
	for (int i = 0; i < s->nactive; i++)
	{
		ObjState   *o = s->active[i];

		if (s->store->concurrent && !o->req && !o->body_done && o->try.retry_at &&
			o->try.retry_at <= now)
		{
			o->try.retry_at = 0;
			s->store->fetch(s, o);
		}
	}
	if (s->order)
	{
		ctfdw_order_start_work(s, now);
		return;
	}
	while (!s->shared && s->nactive < s->opts->max_concurrency && queued(s) > 0)
	{
		QueuedObject *q = &s->queue[s->qhead++];

		if (s->sync && !s->sync->admit(s->sync->arg, q->stream->prefix, q->key))
			pfree(q->key);		/* cloudtrail_sync's bound is reached */
		else
			ctfdw_fetch(s, q->key);
	}
}

/* An object whose reader can make progress without the network. */
static ObjState *
ready_object(CtTrailScan *s)
{
	for (int i = 0; i < s->nactive; i++)
	{
		ObjState   *o = s->active[i];

		if (o->body_done || ct_rr_backlog(o->rr) > 0 || !s->store->concurrent)
			return o;
	}
	return NULL;
}

/* A progress notice, if cloudtrail_fdw.progress_interval says one is due. */
static void
report_progress(CtTrailScan *s)
{
	int			listing = 0;
	ListCell   *lc;

	if (!ctfdw_progress_due(&s->progress_at))
		return;
	foreach(lc, s->streams)
		listing += !((ListStream *) lfirst(lc))->done;
	ereport(NOTICE,
			(errmsg("scan progress: %lld files, %lld events and %lld bytes read",
					(long long) s->stats.fetched - s->nactive, (long long) s->stats.records,
					(long long) s->stats.bytes),
			 errdetail("%d files are being read and %d are listed to read; %d folders are still being listed.",
					   s->nactive, queued(s), listing)));
}

/* Start work, then wait for the network unless a reader can go on. */
static void
network_round(CtTrailScan *s)
{
	int64		now = ctfdw_now_ms();
	int			timeout = 100;

	start_work(s, now);
	report_progress(s);
	/* parallel, nothing to read or list: wait for keys, or look again */
	if (s->shared && s->nactive == 0 && !(s->lister && streams_pending(s)))
	{
		ctfdw_shared_wait(s);
		return;
	}
	if (!s->store->concurrent || ready_object(s))
		return;
	/* wake up for the earliest retry */
	for (int i = 0; i < s->nactive; i++)
		if (s->active[i]->try.retry_at)
			timeout = Min(timeout, (int) Max(0, s->active[i]->try.retry_at - now));
	s->store->wait(s, timeout);
}

/* The window is known now (it may hold run-time values): plan the listing. */
static void
start_scan(CtTrailScan *s)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);

	s->bounded_lo = s->w->has_lower;
	s->bounded_hi = s->w->has_upper;
	if (s->w->has_lower)
		s->stamp_lo = ctfdw_to_epoch(s->w->lower);
	if (s->w->has_upper)
		s->stamp_hi = ctfdw_to_epoch(s->w->upper) + s->opts->max_delivery_delay / USECS_PER_SEC;
	/* a rescan keeps the session: same credentials, same connections */
	if (s->store->open && !s->session)
		s->store->open(s);
	if (!s->active)
		s->active = palloc0(sizeof(ObjState *) * (s->opts->max_concurrency + 1));
	if (s->w->order != CT_ORDER_NONE)
		ctfdw_order_begin(s);
	/* cloudtrail_sync's scans are serial (INSERT ... SELECT is never parallel) */
	if (s->sync)
		s->shared = NULL;
	/* parallel: only the lister lists; the others take what it shares */
	if (!s->shared || ctfdw_shared_begin(s))
		ctfdw_plan_streams(s);
	s->started = true;
	MemoryContextSwitchTo(old);
}

typedef enum ReadResult
{
	GOT_ROW,					/* a record, in the row */
	READ_ON,					/* the reader can go on, or the object ended */
	NEEDS_NETWORK				/* the reader waits for bytes from the network */
} ReadResult;

/* What the current object's reader gives next. */
static ReadResult
read_current(CtTrailScan *s, ObjState *o, CtRow *row)
{
	switch (ct_rr_next(o->rr, &row->rec, &row->len))
	{
		case CT_REC_RECORD:
			o->recno++;
			s->stats.records++;
			row->log_file = o->log_file;
			row->recno = o->recno;
			return GOT_ROW;
		case CT_REC_NEED_INPUT:
			s->store->feed(s, o);
			if (!s->store->concurrent)
				return READ_ON; /* a file: read on */
			s->current = NULL;
			return NEEDS_NETWORK;
		case CT_REC_END:
			ctfdw_object_done(s, o);
			report_progress(s);
			/* start the next download now, so it overlaps parsing */
			if ((queued(s) > 0 || s->shared || s->order) && s->store->concurrent)
				start_work(s, ctfdw_now_ms());
			return READ_ON;
		case CT_REC_ERROR:
			{
				char	   *why = pstrdup(ct_rr_error(o->rr));

				object_failed(s, o, why);
				ctfdw_object_done(s, o);
				return READ_ON;
			}
	}
	return READ_ON;
}

/*
 * Next record of the scan into row, or false at the end.  row->rec stays
 * valid until the next call.  Network rounds allocate in the scan's work
 * context; the caller's context is current again on return.
 */
bool
ctfdw_trail_next(void *scan, CtRow *row)
{
	CtTrailScan *s = scan;
	MemoryContext caller = CurrentMemoryContext;

	if (s->w->empty)
		return false;
	if (!s->started)
		start_scan(s);
	for (;;)
	{
		ObjState   *o = s->current;

		CHECK_FOR_INTERRUPTS();
		if (s->order && ctfdw_order_pop(s, row))
		{
			MemoryContextSwitchTo(caller);
			return true;
		}
		if (o)
		{
			ReadResult r = read_current(s, o, row);

			if (r == GOT_ROW && s->order)
			{
				ctfdw_order_push(s, o, row);
				continue;
			}
			if (r == GOT_ROW)
			{
				MemoryContextSwitchTo(caller);
				return true;
			}
			if (r == READ_ON)
				continue;
		}
		if ((s->current = ready_object(s)) != NULL && (!s->store->concurrent || s->current != o))
			continue;
		s->current = NULL;
		if (s->nactive == 0 && queued(s) == 0 && !streams_pending(s) &&
			(!s->order || ctfdw_order_empty(s)) && (!s->shared || ctfdw_shared_done(s)))
			break;
		/* what lasts is put in s->cxt by name; the rest goes with the round */
		MemoryContextReset(s->work_cxt);
		MemoryContextSwitchTo(s->work_cxt);
		network_round(s);
	}
	MemoryContextSwitchTo(caller);
	return false;
}

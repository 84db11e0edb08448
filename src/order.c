/*-------------------------------------------------------------------------
 *
 * order.c
 *		Trail scans in event_time order, newest or oldest first.
 *
 * A file stamped S holds events from S - max_delivery_delay to S + 59 s:
 * the rule time windows prune by.  An ordered scan reads the files of all
 * region folders (lanes) merged in stamp order, and holds the records it
 * has read in a heap; a record comes out once no file left unread can hold
 * an event that sorts before it.  Newest first, that is soon after a file
 * is read (events are rarely delivered late), so ORDER BY event_time DESC
 * LIMIT 10 reads the last minutes of a trail and stops.  Oldest first must
 * hold max_delivery_delay of events before the first comes out.
 *
 * S3 lists keys in ascending order only.  So a lane walks its date folders
 * (years, months, days: listed with delimiter '/', a few short pages) in
 * the order it reads, and lists one day folder at a time; the files of a
 * day are released to be fetched once the whole day is listed.  A lane's
 * next file is the head of its released keys, or, while none is released,
 * is bounded by the next folder's dates.  Files are fetched in global stamp
 * order; a lane is listed only while its bound comes before every file
 * released, so no folder is listed before it is needed.
 *
 * Rows with equal event times come out in the order they were read.  A
 * record without an eventTime has a NULL event_time: oldest first, NULLs
 * come last, after everything; newest first they would come before every
 * other row, which no scan can know before it has read the whole trail, so
 * such a record is an error there (or skipped, with on_error 'skip').
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/order.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "ct_recscan.h"
#include "trail.h"

/*
 * Files are fetched at most this far (in stamps) past the first file still
 * being read: one slow transfer holds back every row after it, and the
 * scan should not read on for hours meanwhile.
 */
#define HORIZON_SECS	3600


/* A date folder of a lane: 0 the region, 1 a year, 2 a month, 3 a day. */
typedef struct DateFolder
{
	char	   *prefix;
	int			level;
	int64		first;			/* stamps its files may have: [first, last] */
	int64		last;
} DateFolder;

typedef struct LaneKey
{
	char	   *key;
	int64		stamp;
} LaneKey;

struct CtLane
{
	DateFolder *todo;			/* to list; the last is next in reading order */
	int			ntodo;
	int			todo_cap;
	List	   *found;			/* folders found in the folder being listed */
	LaneKey    *keys;			/* released: to fetch, in reading order */
	int			khead;
	int			nkeys;
	int			kcap;
	LaneKey    *day;			/* the keys of the day folder being listed */
	int			nday;
	int			day_cap;
};

/* The name of a file, shared by its buffered rows. */
typedef struct CtOrderedFile
{
	int			refs;			/* buffered rows, and the object while read */
	char		name[FLEXIBLE_ARRAY_MEMBER];
} CtOrderedFile;

typedef struct OrderedRow
{
	TimestampTz t;
	int64		seq;			/* read order: ties come out as read */
	char	   *rec;
	size_t		len;
	CtOrderedFile *file;
	int64		recno;
} OrderedRow;

struct CtOrder
{
	bool		desc;
	MemoryContext rows_cxt;		/* buffered rows and file names */
	OrderedRow **heap;			/* a binary heap: the next row to come out first */
	int			nheap;
	int			heap_cap;
	int64		seq;
	OrderedRow *out;			/* the row last returned, freed at the next */
	bool		stale;			/* the bound must be computed again */
	bool		bound_known;	/* false: discovery still going on */
	bool		nothing_left;	/* every file is read */
	TimestampTz bound;			/* rows before it (in order) may come out */
};

/* Does stamp a come before stamp b in reading order? */
static inline bool
before(CtOrder *o, int64 a, int64 b)
{
	return o->desc ? a > b : a < b;
}

/* Does row x come out before row y? */
static inline bool
first_out(CtOrder *o, OrderedRow *x, OrderedRow *y)
{
	if (x->t != y->t)
		return o->desc ? x->t > y->t : x->t < y->t;
	return x->seq < y->seq;
}

/*
 * The heap of rows held (lib/binaryheap.h cannot grow before PostgreSQL
 * 17, and the number of rows held has no fixed bound).
 */
static void
heap_add(CtOrder *o, OrderedRow *r)
{
	int			i;

	if (o->nheap == o->heap_cap)
	{
		o->heap_cap *= 2;
		o->heap = repalloc_huge(o->heap, o->heap_cap * sizeof(OrderedRow *));
	}
	for (i = o->nheap++; i > 0 && first_out(o, r, o->heap[(i - 1) / 2]); i = (i - 1) / 2)
		o->heap[i] = o->heap[(i - 1) / 2];
	o->heap[i] = r;
}

static void
heap_remove_first(CtOrder *o)
{
	OrderedRow *last = o->heap[--o->nheap];
	int			i = 0;

	for (;;)
	{
		int			c = 2 * i + 1;

		if (c >= o->nheap)
			break;
		if (c + 1 < o->nheap && first_out(o, o->heap[c + 1], o->heap[c]))
			c++;
		if (!first_out(o, o->heap[c], last))
			break;
		o->heap[i] = o->heap[c];
		i = c;
	}
	if (o->nheap > 0)
		o->heap[i] = last;
}

void
ctfdw_order_begin(CtTrailScan *s)
{
	CtOrder    *o = MemoryContextAllocZero(s->cxt, sizeof(CtOrder));

	o->desc = s->w->order == CT_ORDER_DESC;
	o->rows_cxt = GenerationContextCreate(s->cxt, "cloudtrail_fdw ordered rows",
										  ALLOCSET_DEFAULT_SIZES);
	o->heap_cap = 1024;
	o->heap = MemoryContextAlloc(s->cxt, o->heap_cap * sizeof(OrderedRow *));
	o->stale = true;
	s->order = o;
}

/* A rescan starts over: the rows held go. */
void
ctfdw_order_end(CtTrailScan *s)
{
	if (!s->order)
		return;
	MemoryContextDelete(s->order->rows_cxt);
	pfree(s->order->heap);
	pfree(s->order);
	s->order = NULL;
}

/* ---------------------------------------------------------------- lanes */

static void
push_folder(CtTrailScan *s, CtLane *lane, char *prefix, int level, int64 first, int64 last)
{
	if (lane->ntodo == lane->todo_cap)
	{
		lane->todo_cap = lane->todo_cap ? lane->todo_cap * 2 : 16;
		lane->todo = lane->todo ? repalloc(lane->todo, lane->todo_cap * sizeof(DateFolder)) :
			MemoryContextAlloc(s->cxt, lane->todo_cap * sizeof(DateFolder));
	}
	lane->todo[lane->ntodo].prefix = prefix;
	lane->todo[lane->ntodo].level = level;
	lane->todo[lane->ntodo].first = first;
	lane->todo[lane->ntodo++].last = last;
}

/* Point the stream's listing at the lane's next folder, or end the lane. */
static void
next_folder(CtTrailScan *s, ListStream *st)
{
	CtLane	   *lane = st->lane;
	DateFolder *f;

	st->token = NULL;
	st->start_after = NULL;
	if (lane->ntodo == 0)
	{
		st->listing = NULL;
		st->done = lane->khead == lane->nkeys;
		return;
	}
	f = &lane->todo[lane->ntodo - 1];
	st->listing = f->prefix;
	st->list_folders = f->level < 3;
	/* the day of the window's start: from its first file */
	if (f->level == 3 && s->bounded_lo)
	{
		CtBuf		b = CT_BUF_INIT;

		ct_trail_start_after(&b, st->prefix, st->account, s->opts->insight, st->region,
							 s->stamp_lo);
		if (strncmp(b.data, f->prefix, strlen(f->prefix)) == 0)
			st->start_after = MemoryContextStrdup(s->cxt, b.data);
		ct_buf_free(&b);
	}
}

/* A files stream of an ordered scan becomes a lane: its region folder first. */
void
ctfdw_order_lane(CtTrailScan *s, ListStream *st)
{
	st->lane = MemoryContextAllocZero(s->cxt, sizeof(CtLane));
	push_folder(s, st->lane, st->prefix, 0, PG_INT64_MIN, PG_INT64_MAX);
	next_folder(s, st);
}

static bool
two_digits(const char *p, int lo, int hi, int *out)
{
	if (!isdigit((unsigned char) p[0]) || !isdigit((unsigned char) p[1]) || p[2] != '\0')
		return false;
	*out = (p[0] - '0') * 10 + (p[1] - '0');
	return *out >= lo && *out <= hi;
}

/*
 * The stamps a subfolder "seg" of f may hold, or false if it is no date
 * folder CloudTrail writes.  Year 0001 to 9999; days are checked by the key
 * validation of the files in them.
 */
static bool
folder_dates(DateFolder *f, const char *seg, int64 *first, int64 *last)
{
	int			y,
				m,
				v;

	if (f->level == 0)
	{
		if (strlen(seg) != 4 || strspn(seg, "0123456789") != 4 || (v = atoi(seg)) < 1)
			return false;
		*first = ct_timegm(v, 1, 1, 0, 0, 0);
		*last = ct_timegm(v + 1, 1, 1, 0, 0, 0) - 1;
		return true;
	}
	/* the year and month of f, from the last characters of its prefix */
	y = atoi(f->prefix + strlen(f->prefix) - (f->level == 1 ? 5 : 8));
	if (f->level == 1)
	{
		if (!two_digits(seg, 1, 12, &v))
			return false;
		*first = ct_timegm(y, v, 1, 0, 0, 0);
		*last = (v == 12 ? ct_timegm(y + 1, 1, 1, 0, 0, 0) : ct_timegm(y, v + 1, 1, 0, 0, 0)) - 1;
		return true;
	}
	m = atoi(f->prefix + strlen(f->prefix) - 3);
	if (!two_digits(seg, 1, 31, &v))
		return false;
	*first = ct_timegm(y, m, v, 0, 0, 0);
	*last = *first + SECS_PER_DAY - 1;
	return true;
}

/* Does the window let a file stamped in [first, last] hold an event? */
static bool
dates_in_window(CtTrailScan *s, int64 first, int64 last)
{
	if (s->bounded_lo && last + 59 < s->stamp_lo)
		return false;
	if (s->bounded_hi && first > s->stamp_hi)
		return false;
	return true;
}

static int
folder_cmp(const ListCell *a, const ListCell *b)
{
	const DateFolder *x = lfirst(a);
	const DateFolder *y = lfirst(b);

	return x->first < y->first ? -1 : (x->first > y->first ? 1 : 0);
}

/* The folder on top is listed to its end: release what it found. */
static void
folder_done(CtTrailScan *s, ListStream *st)
{
	CtLane	   *lane = st->lane;
	DateFolder	f = lane->todo[--lane->ntodo];

	if (f.level < 3)
	{
		ListCell   *lc;

		/* pushed so that the next in reading order is on top */
		list_sort(lane->found, folder_cmp);
		if (s->order->desc)
			foreach(lc, lane->found)
			{
				DateFolder *c = lfirst(lc);

				push_folder(s, lane, c->prefix, c->level, c->first, c->last);
			}
		else
			for (int i = list_length(lane->found) - 1; i >= 0; i--)
			{
				DateFolder *c = list_nth(lane->found, i);

				push_folder(s, lane, c->prefix, c->level, c->first, c->last);
			}
		list_free_deep(lane->found);
		lane->found = NIL;
	}
	else
	{
		/* the day's files, listed oldest first, in reading order */
		if (lane->khead == lane->nkeys)
			lane->khead = lane->nkeys = 0;
		if (lane->nkeys + lane->nday > lane->kcap)
		{
			lane->kcap = Max(lane->kcap * 2, lane->nkeys + lane->nday);
			lane->keys = lane->keys ? repalloc(lane->keys, lane->kcap * sizeof(LaneKey)) :
				MemoryContextAlloc(s->cxt, lane->kcap * sizeof(LaneKey));
		}
		for (int i = 0; i < lane->nday; i++)
			lane->keys[lane->nkeys++] = lane->day[s->order->desc ? lane->nday - 1 - i : i];
		lane->nday = 0;
	}
	next_folder(s, st);
}

/* A listed file in the day folder being listed. */
void
ctfdw_order_enqueue(CtTrailScan *s, ListStream *st, const char *key)
{
	CtLane	   *lane = st->lane;
	CtTrailKey	k;

	if (lane->nday == lane->day_cap)
	{
		lane->day_cap = lane->day_cap ? lane->day_cap * 2 : 512;
		lane->day = lane->day ? repalloc(lane->day, lane->day_cap * sizeof(LaneKey)) :
			MemoryContextAlloc(s->cxt, lane->day_cap * sizeof(LaneKey));
	}
	ct_parse_trail_key(key, &k);	/* a valid file key: take_key checked */
	lane->day[lane->nday].key = MemoryContextStrdup(s->cxt, key);
	lane->day[lane->nday++].stamp = k.stamp;
}

/*
 * A folder that is no date folder, where CloudTrail writes nothing else:
 * the error a files listing gives for the files in it.
 */
static void
not_a_date_folder(CtTrailScan *s, ListStream *st, const char *p)
{
	ereport(s->opts->on_error_skip ? WARNING : ERROR,
			(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
			 errmsg("folder \"%s\" in bucket \"%s\" is not a CloudTrail date folder of account %s and region %s",
					p, s->opts->bucket ? s->opts->bucket : s->opts->directory,
					st->account, st->region),
			 s->opts->on_error_skip ? 0 :
			 errhint("Table option on_error 'skip' skips such objects with a warning.")));
}

/* A page of a lane's listing: date folders, or the files of a day. */
void
ctfdw_order_take_page(CtTrailScan *s, ListStream *st, CtS3ListPage *page)
{
	CtLane	   *lane = st->lane;
	DateFolder *f = &lane->todo[lane->ntodo - 1];
	size_t		plen = strlen(f->prefix);
	bool		stop = false;

	for (int i = 0; i < page->nprefixes; i++)
	{
		const char *p = page->prefixes[i];
		char	   *seg;
		int64		first,
					last;

		if (strlen(p) <= plen || strncmp(p, f->prefix, plen) != 0)
			continue;
		seg = pnstrdup(p + plen, strlen(p + plen) - 1);
		if (f->level >= 3 || !folder_dates(f, seg, &first, &last))
			not_a_date_folder(s, st, p);
		else if (dates_in_window(s, first, last))
		{
			MemoryContext old = MemoryContextSwitchTo(s->cxt);
			DateFolder *c = palloc(sizeof(DateFolder));

			c->prefix = pstrdup(p);
			c->level = f->level + 1;
			c->first = first;
			c->last = last;
			lane->found = lappend(lane->found, c);
			MemoryContextSwitchTo(old);
		}
	}
	for (int i = 0; i < page->nobjects && !stop; i++)
	{
		s->stats.listed++;
		/* outside a day folder no key is valid: take_key reports it */
		stop = !ctfdw_take_key(s, st, page->objects[i].key);
	}
	if (!stop && page->truncated)
	{
		if (page->next_token)
			st->token = MemoryContextStrdup(s->cxt, page->next_token);
		else if (page->nobjects > 0)	/* a directory: after the last file */
			st->start_after = MemoryContextStrdup(s->cxt,
												  page->objects[page->nobjects - 1].key);
	}
	else
		folder_done(s, st);
	s->order->stale = true;
}

/* The bound of the next folder a lane lists: its first stamp in reading order. */
static int64
folder_bound(CtOrder *o, ListStream *st)
{
	DateFolder *f = &st->lane->todo[st->lane->ntodo - 1];

	return o->desc ? f->last : f->first;
}

/*
 * The stamp of the next file a lane reads (*listed) or else the bound of
 * the next folder it lists; false if nothing is left.
 */
static bool
lane_next(CtOrder *o, ListStream *st, int64 *stamp, bool *listed)
{
	CtLane	   *lane = st->lane;

	*listed = lane->khead < lane->nkeys;
	if (*listed)
		*stamp = lane->keys[lane->khead].stamp;
	else if (lane->ntodo > 0)
		*stamp = folder_bound(o, st);
	else
		return false;
	return true;
}

/* ---------------------------------------------------------------- engine */

/* May a file stamped so be fetched now, with what is being read? */
static bool
within_horizon(CtTrailScan *s, int64 stamp)
{
	for (int i = 0; i < s->nactive; i++)
	{
		int64		apart = stamp - s->active[i]->stamp;

		if (apart > HORIZON_SECS || apart < -HORIZON_SECS)
			return false;
	}
	return true;
}

/*
 * Fetch files in reading order while they are known to be next, and list
 * the lanes whose next folder may hold files that come before them.
 */
void
ctfdw_order_start_work(CtTrailScan *s, int64 now)
{
	CtOrder    *o = s->order;
	ListCell   *lc;
	int			listing = 0;

	foreach(lc, s->streams)
		listing += ((ListStream *) lfirst(lc))->req != NULL;

	for (;;)
	{
		ListStream *best = NULL;
		int64		best_stamp = 0;
		bool		best_listed = false;
		bool		discovering = false;
		bool		listed_now = false;

		foreach(lc, s->streams)
		{
			ListStream *st = lfirst(lc);
			int64		stamp;
			bool		listed;

			if (!st->lane)
			{
				discovering |= !st->done;
				continue;
			}
			if (!lane_next(o, st, &stamp, &listed))
				continue;
			if (!best || before(o, stamp, best_stamp) ||
				(stamp == best_stamp && !listed && best_listed))
			{
				best = st;
				best_stamp = stamp;
				best_listed = listed;
			}
		}
		/* a folder not yet discovered may hold anything */
		if (discovering || !best)
			return;
		if (best_listed && s->nactive < s->opts->max_concurrency &&
			within_horizon(s, best_stamp))
		{
			CtLane	   *lane = best->lane;
			LaneKey    *k = &lane->keys[lane->khead++];

			if (lane->khead == lane->nkeys && lane->ntodo == 0)
				best->done = true;
			ctfdw_fetch(s, k->key)->stamp = k->stamp;
			o->stale = true;
			continue;
		}

		/*
		 * List every lane whose next folder comes before the next file
		 * known (or all of them, if none is known).
		 */
		foreach(lc, s->streams)
		{
			ListStream *st = lfirst(lc);
			int64		bound;
			bool		listed;

			if (!st->lane || st->req || (st->try.retry_at && st->try.retry_at > now) ||
				!lane_next(o, st, &bound, &listed) || listed)
				continue;
			if (best_listed && before(o, best_stamp, bound))
				continue;
			if (s->store->concurrent && listing >= LISTS_IN_FLIGHT)
				break;
			st->try.retry_at = 0;
			s->store->list(s, st);
			if (s->store->concurrent)
				listing++;
			else
				listed_now = true;
		}
		if (!listed_now)
			return;
	}
}

/* ---------------------------------------------------------------- rows */

/*
 * A record's event time, as the event_time column reads it (false: none).
 * A malformed record sorts first: it comes out at once, where reading it
 * fails as in any scan (or is skipped).
 */
static bool
record_time(CtTrailScan *s, const CtRow *row, TimestampTz *t)
{
	CtRecIndex	idx;
	CtSpan		v;
	CtBuf		text = CT_BUF_INIT;
	char		err[256];

	if (!ct_rec_index(row->rec, row->len, &idx, err, sizeof(err)))
	{
		*t = s->order->desc ? DT_NOEND : DT_NOBEGIN;
		return true;
	}
	if (!ct_rec_member(&idx, "eventTime", &v) || v.type == 'z')
		return false;
	/* CloudTrail's own format, "2026-11-13T00:33:12Z" (quoted: 22 bytes) */
	if (v.type == 's' && v.len == 22)
	{
		char		text20[21];

		memcpy(text20, v.p + 1, 20);
		text20[20] = '\0';
		if (ctfdw_cloudtrail_time(text20, t))
			return true;
	}
	/* any other value: what timestamptz input makes of it, or its error */
	if (v.type != 's')
		ct_buf_append(&text, v.p, v.len);
	else if (!ct_span_string(&v, &text))
	{
		/* no text can hold it: the row fails (or is skipped) as it comes out */
		ct_buf_free(&text);
		*t = s->order->desc ? DT_NOEND : DT_NOBEGIN;
		return true;
	}
	PG_TRY();
	{
		*t = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(text.data),
													 ObjectIdGetDatum(InvalidOid),
													 Int32GetDatum(-1)));
	}
	PG_FINALLY();
	{
		ct_buf_free(&text);
	}
	PG_END_TRY();
	return true;
}

/* A record read: into the heap, until its turn comes. */
void
ctfdw_order_push(CtTrailScan *s, ObjState *obj, const CtRow *row)
{
	CtOrder    *o = s->order;
	OrderedRow *r;
	TimestampTz t;

	if (!record_time(s, row, &t))
	{
		if (!o->desc)
			t = DT_NOEND;		/* NULLS LAST: after every event */
		else
		{
			ereport(s->opts->on_error_skip ? WARNING : ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("CloudTrail record %lld of \"%s\" has no eventTime",
							(long long) row->recno, row->log_file),
					 errdetail("Newest first, rows without an event time come before all others, which is known only after the whole trail is read."),
					 s->opts->on_error_skip ? 0 :
					 errhint("Table option on_error 'skip' skips such records with a warning; ORDER BY event_time DESC NULLS LAST reads it too.")));
			return;
		}
	}
	if (obj->name_ref == NULL)
	{
		size_t		n = strlen(row->log_file) + 1;

		obj->name_ref = MemoryContextAlloc(o->rows_cxt, offsetof(CtOrderedFile, name) + n);
		obj->name_ref->refs = 1;
		memcpy(obj->name_ref->name, row->log_file, n);
	}
	r = MemoryContextAlloc(o->rows_cxt, sizeof(OrderedRow) + row->len + 1);
	r->t = t;
	r->seq = o->seq++;
	r->rec = (char *) (r + 1);
	memcpy(r->rec, row->rec, row->len);
	r->rec[row->len] = '\0';
	r->len = row->len;
	r->file = obj->name_ref;
	r->file->refs++;
	r->recno = row->recno;
	heap_add(o, r);
}

static void
release_file(CtOrderedFile *f)
{
	if (f && --f->refs == 0)
		pfree(f);
}

/* The object is read: its rows hold its name now. */
void
ctfdw_order_file_done(CtTrailScan *s, ObjState *o)
{
	release_file(o->name_ref);
	o->name_ref = NULL;
	s->order->stale = true;
}

/* Up to where rows may come out: no unread file holds anything before. */
static void
compute_bound(CtTrailScan *s)
{
	CtOrder    *o = s->order;
	ListCell   *lc;
	bool		any = false;
	int64		first = 0;

	o->stale = false;
	o->bound_known = true;
	o->nothing_left = false;
	foreach(lc, s->streams)
	{
		ListStream *st = lfirst(lc);
		int64		stamp;
		bool		listed;

		if (!st->lane)
		{
			if (!st->done)
				o->bound_known = false;
			continue;
		}
		if (!lane_next(o, st, &stamp, &listed))
			continue;
		if (!any || before(o, stamp, first))
			first = stamp;
		any = true;
	}
	for (int i = 0; i < s->nactive; i++)
	{
		if (!any || before(o, s->active[i]->stamp, first))
			first = s->active[i]->stamp;
		any = true;
	}
	if (!o->bound_known)
		return;
	if (!any)
	{
		o->nothing_left = true;
		return;
	}
	/* newest first: an unread file holds events before its stamp + 60 s */
	if (o->desc)
		o->bound = first >= PG_INT64_MAX / 2 ? DT_NOEND :
			ctfdw_from_epoch(first + 60);
	else
		o->bound = first <= PG_INT64_MIN / 2 ? DT_NOBEGIN :
			ctfdw_from_epoch(first) - s->opts->max_delivery_delay;
}

/* May the row on top come out? */
static bool
may_come_out(CtOrder *o, OrderedRow *r)
{
	if (o->nothing_left)
		return true;
	if (!o->bound_known)
		return false;
	return o->desc ? r->t >= o->bound : r->t < o->bound;
}

/* The next row in order, if its turn has come. */
bool
ctfdw_order_pop(CtTrailScan *s, CtRow *row)
{
	CtOrder    *o = s->order;
	OrderedRow *r;

	if (o->out)
	{
		release_file(o->out->file);
		pfree(o->out);
		o->out = NULL;
	}
	if (o->nheap == 0)
		return false;
	r = o->heap[0];
	if (!may_come_out(o, r))
	{
		if (!o->stale)
			return false;
		compute_bound(s);
		if (!may_come_out(o, r))
			return false;
	}
	heap_remove_first(o);
	o->out = r;
	row->rec = r->rec;
	row->len = r->len;
	row->log_file = r->file->name;
	row->recno = r->recno;
	return true;
}

bool
ctfdw_order_empty(CtTrailScan *s)
{
	return s->order->nheap == 0 && s->order->out == NULL;
}

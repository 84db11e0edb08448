/*-------------------------------------------------------------------------
 *
 * sync.c
 *		cloudtrail_sync(): exactly-once incremental copy of a foreign table
 *		into a local table, with its progress in cloudtrail_sync_state.
 *
 * Trail tables: progress is kept per account/region folder in the order S3
 * lists keys, which is delivery order.  A folder's state is the greatest
 * key read (last_key) and every key read that sorts after the start of the
 * minute ARRIVAL_MARGIN before last_key's stamp (recent_keys).  The next
 * call lists the folder from that minute and skips the recent keys, so a
 * file that shows up late in its minute, or after a later file, is read
 * once.  The rows and the state are written by the same transaction.
 *
 * Event-history tables: by event time, from the last call's start less
 * LOOKUP_OVERLAP (LookupEvents shows an event up to about 15 minutes after
 * it happened), skipping event_ids the target already has.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/sync.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "catalog/pg_index.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "trail.h"

#define ARRIVAL_MARGIN	(60 * 60)	/* seconds a file may take to be listed */
#define LOOKUP_OVERLAP	(15 * 60)	/* seconds LookupEvents may lag */
#define LOOKUP_FOLDER	"lookup_events"
#define SYNC_LOCK_CLASS 0x43545359	/* advisory lock: (class, target oid) */
#define FOLDER_KEYSIZE	1100		/* an S3 key is at most 1024 bytes */

typedef struct SyncFolder
{
	char		folder[FOLDER_KEYSIZE]; /* hash key: the folder's prefix */
	char	   *last_key;		/* greatest key read, or NULL */
	char	   *start_after;	/* where this call lists from */
	char	  **recent;			/* sorted */
	int			nrecent;
	List	   *taken;			/* keys admitted by this call */
	bool		known;			/* has a row in the state table */
} SyncFolder;

typedef struct SyncRun
{
	MemoryContext cxt;
	Oid			source;
	Oid			target;
	bool		insight;
	HTAB	   *folders;
	int64		max_files;		/* 0: no bound */
	int64		max_ms;			/* 0: no bound */
	int64		started_ms;
	bool		stopped;
	int64		files;
	int64		bytes;
	int64		requests;
	char	   *state_table;	/* qualified name */
	Oid			state_owner;
} SyncRun;

PG_FUNCTION_INFO_V1(cloudtrail_sync);

/* ---------------------------------------------------------------- keys */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Where a folder whose greatest key read is last_key is listed from. */
static char *
threshold_of(SyncRun *r, const char *folder, const char *last_key)
{
	CtTrailKey	k;
	CtBuf		b = CT_BUF_INIT;
	char	   *out;

	if (!last_key || !ct_parse_trail_key(last_key, &k))
		return NULL;
	ct_trail_start_after(&b, folder, k.account, r->insight, k.region, k.stamp - ARRIVAL_MARGIN);
	out = MemoryContextStrdup(r->cxt, b.data);
	ct_buf_free(&b);
	return out;
}

static SyncFolder *
folder_of(SyncRun *r, const char *folder)
{
	char		key[FOLDER_KEYSIZE];
	bool		found;
	SyncFolder *f;

	if (strlen(folder) >= FOLDER_KEYSIZE)
		elog(ERROR, "folder name too long");
	memset(key, 0, sizeof(key));
	strcpy(key, folder);
	f = hash_search(r->folders, key, HASH_ENTER, &found);
	if (!found)
	{
		f->last_key = f->start_after = NULL;
		f->recent = NULL;
		f->nrecent = 0;
		f->taken = NIL;
		f->known = false;
	}
	return f;
}

/* ---------------------------------------------------------------- the hook */

static char *
hook_start_after(void *arg, const char *folder)
{
	SyncFolder *f = folder_of(arg, folder);

	return f->start_after;
}

static bool
bound_reached(SyncRun *r)
{
	if (!r->stopped && r->max_files > 0 && r->files >= r->max_files)
		r->stopped = true;
	if (!r->stopped && r->max_ms > 0 && ctfdw_now_ms() - r->started_ms >= r->max_ms)
		r->stopped = true;
	return r->stopped;
}

static CtSyncTake
hook_take(void *arg, const char *folder, const char *key)
{
	SyncRun    *r = arg;
	SyncFolder *f;

	if (bound_reached(r))
		return CT_SYNC_STOP;
	f = folder_of(r, folder);
	if (f->nrecent > 0 &&
		bsearch(&key, f->recent, f->nrecent, sizeof(char *), cmp_str) != NULL)
		return CT_SYNC_SKIP;
	return CT_SYNC_TAKE;
}

static bool
hook_admit(void *arg, const char *folder, const char *key)
{
	SyncRun    *r = arg;
	SyncFolder *f;
	MemoryContext old;

	if (bound_reached(r))
		return false;
	f = folder_of(r, folder);
	old = MemoryContextSwitchTo(r->cxt);
	f->taken = lappend(f->taken, pstrdup(key));
	MemoryContextSwitchTo(old);
	r->files++;
	return true;
}

static void
hook_finish(void *arg, CtTrailScan *s)
{
	SyncRun    *r = arg;

	r->bytes = s->stats.bytes;
	r->requests = s->session ? ctfdw_session_stats(s->session)->requests : s->stats.lists;
}

/* ---------------------------------------------------------------- SQL */

static char *
qualified_name(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/* The state table: in the schema of the extension, that is of this function. */
static void
state_table(SyncRun *r, Oid fn)
{
	Oid			nsp = get_func_namespace(fn);
	Oid			rel = get_relname_relid("cloudtrail_sync_state", nsp);
	HeapTuple	tup;

	if (!OidIsValid(rel))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("table cloudtrail_sync_state of extension cloudtrail_fdw is missing")));
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(rel));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for relation %u", rel);
	r->state_owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	r->state_table = MemoryContextStrdup(r->cxt, qualified_name(rel));
}

/*
 * Run a statement on the state table as its owner: callers need no
 * privilege on it, only INSERT on the target (checked first).
 */
static int
state_exec(SyncRun *r, const char *sql, int nargs, Oid *types, Datum *values,
		   const char *nulls)
{
	Oid			save_user;
	int			save_sec;
	int			rc;

	GetUserIdAndSecContext(&save_user, &save_sec);
	SetUserIdAndSecContext(r->state_owner, save_sec | SECURITY_LOCAL_USERID_CHANGE);
	PG_TRY();
	{
		rc = SPI_execute_with_args(sql, nargs, types, values, nulls, false, 0);
	}
	PG_FINALLY();
	{
		SetUserIdAndSecContext(save_user, save_sec);
	}
	PG_END_TRY();
	if (rc < 0)
		elog(ERROR, "SPI_execute_with_args failed: %s", SPI_result_code_string(rc));
	return rc;
}

static void
load_state(SyncRun *r)
{
	Oid			types[1] = {OIDOID};
	Datum		values[1] = {ObjectIdGetDatum(r->target)};

	state_exec(r, psprintf("SELECT folder, last_key, recent_keys FROM %s WHERE target = $1",
						   r->state_table), 1, types, values, NULL);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	td = SPI_tuptable->tupdesc;
		char	   *folder = SPI_getvalue(tup, td, 1);
		SyncFolder *f = folder_of(r, folder);
		bool		isnull;
		Datum		arr = SPI_getbinval(tup, td, 3, &isnull);
		MemoryContext old = MemoryContextSwitchTo(r->cxt);

		f->known = true;
		f->last_key = SPI_getvalue(tup, td, 2);
		if (f->last_key)
			f->last_key = pstrdup(f->last_key);
		if (!isnull)
		{
			Datum	   *elems;
			int			n;

			deconstruct_array(DatumGetArrayTypeP(arr), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, NULL, &n);
			f->recent = palloc(sizeof(char *) * Max(n, 1));
			for (int j = 0; j < n; j++)
				f->recent[j] = TextDatumGetCString(elems[j]);
			f->nrecent = n;
			qsort(f->recent, n, sizeof(char *), cmp_str);
		}
		MemoryContextSwitchTo(old);
		f->start_after = threshold_of(r, f->folder, f->last_key);
	}
}

/* The folder's new state: greatest key, and every key past the new threshold. */
static void
save_folder(SyncRun *r, SyncFolder *f)
{
	char	   *last = f->last_key;
	char	   *threshold;
	List	   *keep = NIL;
	ListCell   *lc;
	Datum	   *elems;
	int			n = 0;
	Oid			types[4] = {OIDOID, TEXTOID, TEXTOID, TEXTARRAYOID};
	Datum		values[4];

	foreach(lc, f->taken)
		if (!last || strcmp(lfirst(lc), last) > 0)
			last = lfirst(lc);
	threshold = threshold_of(r, f->folder, last);
	for (int i = 0; i < f->nrecent; i++)
		if (!threshold || strcmp(f->recent[i], threshold) > 0)
			keep = lappend(keep, f->recent[i]);
	foreach(lc, f->taken)
		if (!threshold || strcmp(lfirst(lc), threshold) > 0)
			keep = lappend(keep, lfirst(lc));
	elems = palloc(sizeof(Datum) * Max(list_length(keep), 1));
	foreach(lc, keep)
		elems[n++] = CStringGetTextDatum(lfirst(lc));
	values[0] = ObjectIdGetDatum(r->target);
	values[1] = CStringGetTextDatum(f->folder);
	values[2] = CStringGetTextDatum(last);
	values[3] = PointerGetDatum(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
	state_exec(r, psprintf("INSERT INTO %s AS s (target, folder, last_key, recent_keys, synced_at) "
						   "VALUES ($1, $2, $3, $4, now()) ON CONFLICT (target, folder) DO UPDATE "
						   "SET last_key = excluded.last_key, recent_keys = excluded.recent_keys, "
						   "synced_at = excluded.synced_at", r->state_table),
			   4, types, values, NULL);
	f->last_key = last;
}

/* ---------------------------------------------------------------- checks */

/*
 * The column list of the copy: every target column, which the source must
 * have (by name); columns PostgreSQL fills itself (generated, identity,
 * with a default) are left to it when the source lacks them.
 */
static char *
column_list(Relation src, Relation tgt, bool *has_event_id)
{
	TupleDesc	st = RelationGetDescr(src);
	TupleDesc	tt = RelationGetDescr(tgt);
	StringInfoData b;

	initStringInfo(&b);
	*has_event_id = false;
	for (int i = 0; i < tt->natts; i++)
	{
		Form_pg_attribute ta = TupleDescAttr(tt, i);
		bool		found = false;

		if (ta->attisdropped)
			continue;
		for (int j = 0; j < st->natts && !found; j++)
			found = !TupleDescAttr(st, j)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(st, j)->attname), NameStr(ta->attname)) == 0;
		if (!found && (ta->attgenerated || ta->attidentity || ta->atthasdef))
			continue;
		if (!found)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of table \"%s\" is not a column of foreign table \"%s\"",
							NameStr(ta->attname), RelationGetRelationName(tgt),
							RelationGetRelationName(src)),
					 errhint("A sync target may keep any subset of the source's columns, matched by name.")));
		if (strcmp(NameStr(ta->attname), "event_id") == 0)
			*has_event_id = true;
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", quote_identifier(NameStr(ta->attname)));
	}
	if (b.len == 0)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("table \"%s\" has no column of foreign table \"%s\"",
						RelationGetRelationName(tgt), RelationGetRelationName(src))));
	return b.data;
}

/* dedup needs a unique index (or primary key) of the target on event_id. */
static void
check_dedup(Relation tgt, bool has_event_id)
{
	List	   *indexes = RelationGetIndexList(tgt);
	ListCell   *lc;

	if (has_event_id)
		foreach(lc, indexes)
		{
			HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
			Form_pg_index ix = (Form_pg_index) GETSTRUCT(tup);
			bool		ok = false;

			if (ix->indisunique && heap_attisnull(tup, Anum_pg_index_indpred, NULL))
				for (int k = 0; k < ix->indnkeyatts; k++)
					if (ix->indkey.values[k] > 0 &&
						strcmp(NameStr(TupleDescAttr(RelationGetDescr(tgt),
													 ix->indkey.values[k] - 1)->attname),
							   "event_id") == 0)
						ok = true;
			ReleaseSysCache(tup);
			if (ok)
				return;
		}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("dedup needs a unique index on column event_id of table \"%s\"",
					RelationGetRelationName(tgt)),
			 errhint("Create one, for example CREATE UNIQUE INDEX ON %s (event_id), or a primary key holding event_id.",
					 RelationGetRelationName(tgt))));
}

/* Checks made before any request; returns the column list. */
static char *
check_tables(SyncRun *r, bool dedup, bool *has_event_id)
{
	Relation	src = relation_open(r->source, AccessShareLock);
	Relation	tgt = relation_open(r->target, AccessShareLock);
	char	   *cols;

	if (src->rd_rel->relkind != RELKIND_FOREIGN_TABLE || !ctfdw_source_of_table(r->source))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table of cloudtrail_fdw",
						RelationGetRelationName(src))));
	if (tgt->rd_rel->relkind != RELKIND_RELATION &&
		tgt->rd_rel->relkind != RELKIND_PARTITIONED_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a table", RelationGetRelationName(tgt)),
				 errdetail("The target of cloudtrail_sync is a table or a partitioned table.")));
	if (pg_class_aclcheck(r->target, GetUserId(), ACL_INSERT) != ACLCHECK_OK)
		aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(tgt));
	cols = column_list(src, tgt, has_event_id);
	if (dedup)
		check_dedup(tgt, *has_event_id);
	relation_close(tgt, NoLock);
	relation_close(src, NoLock);
	return cols;
}

/* ---------------------------------------------------------------- runs */

/* One call over a trail table: the INSERT in listing mode, then the state. */
static int64
sync_trail(SyncRun *r, const char *cols, bool dedup, TimestampTz *watermark)
{
	CtSyncHook	hook = {r, false, hook_start_after, hook_take, hook_admit, hook_finish};
	HASHCTL		ctl;
	HASH_SEQ_STATUS hs;
	SyncFolder *f;
	int64		events;
	long long	newest = 0;

	ctl.keysize = FOLDER_KEYSIZE;
	ctl.entrysize = sizeof(SyncFolder);
	ctl.hcxt = r->cxt;
	r->folders = hash_create("cloudtrail_sync folders", 64, &ctl,
							 HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
	load_state(r);
	ctfdw_sync_hook = &hook;
	PG_TRY();
	{
		if (SPI_execute(psprintf("INSERT INTO %s (%s) SELECT %s FROM %s%s",
								 qualified_name(r->target), cols, cols,
								 qualified_name(r->source),
								 dedup ? " ON CONFLICT DO NOTHING" : ""),
						false, 0) != SPI_OK_INSERT)
			elog(ERROR, "cloudtrail_sync: the INSERT failed");
	}
	PG_FINALLY();
	{
		ctfdw_sync_hook = NULL;
	}
	PG_END_TRY();
	events = SPI_processed;
	hash_seq_init(&hs, r->folders);
	while ((f = hash_seq_search(&hs)) != NULL)
	{
		CtTrailKey	k;

		if (f->taken != NIL)
			save_folder(r, f);
		if (f->last_key && ct_parse_trail_key(f->last_key, &k) && k.stamp > newest)
			newest = k.stamp;
	}
	if (newest > 0)
		*watermark = time_t_to_timestamptz((pg_time_t) newest);
	return events;
}

/*
 * One call over an event-history table: events from the last call's start
 * less the overlap, those whose event_id the target lacks.
 */
static int64
sync_history(SyncRun *r, const char *cols, bool dedup, TimestampTz *watermark)
{
	TimestampTz now = GetCurrentTimestamp();
	Oid			types[3] = {OIDOID, TEXTOID, TEXTOID};
	Datum		values[3];
	char	   *tgt = qualified_name(r->target);
	char	   *from = NULL;
	int64		events;

	values[0] = ObjectIdGetDatum(r->target);
	values[1] = CStringGetTextDatum(LOOKUP_FOLDER);
	state_exec(r, psprintf("SELECT last_key FROM %s WHERE target = $1 AND folder = $2",
						   r->state_table), 2, types, values, NULL);
	if (SPI_processed > 0)
		from = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	if (SPI_execute_with_args(psprintf("INSERT INTO %s (%s) SELECT %s FROM %s s WHERE %s"
									   "NOT EXISTS (SELECT 1 FROM %s t WHERE t.event_id = s.event_id)%s",
									   tgt, cols, cols, qualified_name(r->source),
									   from ? "s.event_time >= to_timestamp($1::float8) - $2::interval AND " : "",
									   tgt, dedup ? " ON CONFLICT DO NOTHING" : ""),
							  from ? 2 : 0, types + 1,
							  (Datum[]) {CStringGetTextDatum(from ? from : ""),
							  CStringGetTextDatum(psprintf("%d seconds", LOOKUP_OVERLAP))},
							  NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "cloudtrail_sync: the INSERT failed");
	events = SPI_processed;
	/* epoch seconds: read back the same whatever DateStyle and TimeZone say */
	values[2] = CStringGetTextDatum(psprintf("%lld.%06lld", (long long) ctfdw_to_epoch(now),
											 (long long) (now % USECS_PER_SEC)));
	state_exec(r, psprintf("INSERT INTO %s (target, folder, last_key, synced_at) "
						   "VALUES ($1, $2, $3, now()) ON CONFLICT (target, folder) DO UPDATE "
						   "SET last_key = excluded.last_key, synced_at = excluded.synced_at",
						   r->state_table), 3, types, values, NULL);
	*watermark = now;
	return events;
}

/* Wait for any other sync of the same target; READ COMMITTED only. */
static void
lock_target(SyncRun *r)
{
	Oid			types[2] = {INT4OID, INT4OID};
	Datum		values[2] = {Int32GetDatum(SYNC_LOCK_CLASS), Int32GetDatum((int32) r->target)};

	if (IsolationUsesXactSnapshot())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cloudtrail_sync cannot run in a REPEATABLE READ or SERIALIZABLE transaction"),
				 errdetail("It reads the state another call may have committed while it waited for the target's lock.")));
	if (SPI_execute_with_args("SELECT pg_catalog.pg_advisory_xact_lock($1, $2)", 2, types, values,
							  NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "cloudtrail_sync: could not lock the target");
}

static int
int_arg(FunctionCallInfo fcinfo, int n, const char *name)
{
	int			v;

	if (PG_ARGISNULL(n))
		return 0;
	v = PG_GETARG_INT32(n);
	if (v <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be positive", name),
				 errdetail("It was %d.", v)));
	return v;
}

Datum
cloudtrail_sync(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	SyncRun    *r = palloc0(sizeof(SyncRun));
	TupleDesc	td;
	Datum		out[6];
	bool		nulls[6] = {false};
	TimestampTz watermark = 0;
	bool		dedup = !PG_ARGISNULL(4) && PG_GETARG_BOOL(4);
	bool		has_event_id;
	CtFdwOptions opts;
	char	   *cols;
	int64		events;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("source and target of cloudtrail_sync must not be null")));
	if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	r->cxt = AllocSetContextCreate(caller, "cloudtrail_sync", ALLOCSET_DEFAULT_SIZES);
	r->source = PG_GETARG_OID(0);
	r->target = PG_GETARG_OID(1);
	r->max_files = int_arg(fcinfo, 2, "max_files");
	r->max_ms = (int64) int_arg(fcinfo, 3, "max_seconds") * 1000;
	r->started_ms = ctfdw_now_ms();
	cols = check_tables(r, dedup, &has_event_id);
	ctfdw_get_options(r->source, GetUserId(), false, &opts);
	r->insight = opts.insight;
	if (opts.source->kind == CT_TABLE_HISTORY && !has_event_id)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_COLUMN),
				 errmsg("the target of an event-history sync needs column event_id"),
				 errdetail("Events are read again for %d minutes after each call and told apart by event_id.",
						   LOOKUP_OVERLAP / 60)));
	state_table(r, fcinfo->flinfo->fn_oid);
	SPI_connect();
	lock_target(r);
	if (opts.source->kind == CT_TABLE_TRAIL)
		events = sync_trail(r, cols, dedup, &watermark);
	else
		events = sync_history(r, cols, dedup, &watermark);
	SPI_finish();
	out[0] = Int64GetDatum(r->files);
	out[1] = Int64GetDatum(events);
	out[2] = Int64GetDatum(r->bytes);
	out[3] = Int64GetDatum(r->requests);
	out[4] = Float8GetDatum((ctfdw_now_ms() - r->started_ms) / 1000.0);
	out[5] = TimestampTzGetDatum(watermark);
	nulls[5] = (watermark == 0);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(td), out, nulls)));
}

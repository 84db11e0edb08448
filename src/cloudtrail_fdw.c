/*-------------------------------------------------------------------------
 *
 * cloudtrail_fdw.c
 *		Foreign-data wrapper for AWS CloudTrail.
 *
 * The handler and its FdwRoutine callbacks: planning (pruning quals, the
 * columns a query needs), the executor side (scan state, tuples, error
 * context), EXPLAIN and IMPORT FOREIGN SCHEMA.  Reading S3 is in scan.c,
 * pruning in prune.c, record-to-tuple conversion in tuple.c, options in
 * option.c; the AWS client layer under src/aws knows nothing of PostgreSQL.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/cloudtrail_fdw.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/typcache.h"

#include "cloudtrail_fdw.h"
#include "compat.h"
#include "ct_host.h"
#include "ct_rec.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* fdw_private of a ForeignScan */
enum CtFdwScanPrivateIndex
{
	CtFdwPrivatePrune,			/* List of IntList: what each fdw_expr bounds */
	CtFdwPrivateNeeded			/* IntList of attnums the query uses */
};

typedef struct CtFdwScanState
{
	CtFdwOptions opts;
	List	   *columns;		/* CtColumn per attribute */
	Bitmapset  *needed;
	bool		needs_parse;	/* some needed column reads the JSON */
	List	   *prune;			/* what each pruning expression bounds */
	List	   *prune_states;	/* ExprState per fdw_expr */
	bool		runtime;		/* the pruning expressions hold parameters */
	bool		window_ready;	/* window evaluated for the current parameters */
	MemoryContext window_cxt;	/* the window's values */
	CtWindow	window;
	MemoryContext scan_cxt;		/* "cloudtrail_fdw scan data" */
	MemoryContext temp_cxt;		/* per tuple */
	CtS3Scan   *scan;			/* trail tables */
	CtLookupScan *lookup;		/* event-history tables */
	CtRecIndex *index;			/* top-level members of the current record */
	CtBuf		scratch;		/* malloc'd: freed by the scan context's callback */
	const char *log_file;		/* for error context */
	int64		recno;
	int64		skipped_records;
} CtFdwScanState;



/* ---------------------------------------------------------------- planning */

/* Is this an event-history (LookupEvents) table? */
static bool
is_lookup_table(Oid relid)
{
	ListCell   *lc;

	foreach(lc, GetForeignTable(relid)->options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "source") == 0)
			return strcmp(defGetString(def), "lookup_events") == 0;
	}
	return false;
}

/*
 * Rows a scan with these clauses returns.  Without statistics, guess from
 * the window: a trail holds thousands of events a day.  A bounded window
 * is much cheaper than an open one, which is all the planner needs to know.
 */
static double
estimate_rows(PlannerInfo *root, RelOptInfo *baserel, List *clauses, bool lookup)
{
	List	   *fdw_exprs,
			   *prune;
	ListCell   *lc;
	double		days = 90;
	bool		lo = false,
				hi = false;

	ctfdw_classify_quals(root, baserel->relid, clauses, baserel->fdw_private, lookup,
						 &fdw_exprs, &prune);
	foreach(lc, prune)
	{
		List	   *p = lfirst(lc);

		if (linitial_int(p) == 0)
		{
			int			s = lsecond_int(p);

			lo |= s >= 3;
			hi |= s <= 3;
		}
	}
	if (lo && hi)
		days = 1;
	else if (lo || hi)
		days = 30;
	return clamp_row_est(5000 * days *
						 clauselist_selectivity(root, clauses, baserel->relid, JOIN_INNER, NULL));
}

static void
cloudtrailGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	Relation	rel = table_open(foreigntableid, AccessShareLock);

	baserel->fdw_private = ctfdw_columns(rel, is_lookup_table(foreigntableid));
	table_close(rel, AccessShareLock);
	baserel->rows = estimate_rows(root, baserel, baserel->baserestrictinfo,
								  is_lookup_table(foreigntableid));
}

/*
 * Event-history scans come out newest first, as LookupEvents returns them:
 * say so, and ORDER BY event_time DESC LIMIT n needs no sort and stops
 * after n rows.
 */
static List *
lookup_pathkeys(PlannerInfo *root, RelOptInfo *baserel, List *columns)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		CtColumn   *col = lfirst(lc);

		if (col->kind == CT_COL_PATH && col->npath == 1 && strcmp(col->path[0], "eventTime") == 0 &&
			col->typid == TIMESTAMPTZOID)
		{
			Var		   *var = makeVar(baserel->relid, col->attnum, TIMESTAMPTZOID, -1, InvalidOid, 0);
			TypeCacheEntry *tc = lookup_type_cache(TIMESTAMPTZOID, TYPECACHE_GT_OPR);

			return ctfdw_build_expression_pathkey(root, (Expr *) var, tc->gt_opr,
												  baserel->relids, true);
		}
	}
	return NIL;
}

/*
 * A record is gunzipped and scanned: some twenty heap tuples' worth, enough
 * for 2 workers to pay for a Gather of an open window.  More would put
 * whole-trail scans above jit_above_cost, and JIT only costs here (LLVM adds
 * ~55 MB to the backend; the work is in C already).
 */
#define SCAN_STARTUP_COST	100
#define RECORD_COST			(cpu_tuple_cost * 20)

/*
 * Join clauses that bound a trail table's window or folders, such as
 * t.event_time BETWEEN a.at - interval '1 hour' AND a.at: a nested loop can
 * hand the scan the outer row's values as parameters, and each rescan reads
 * only what they allow.  One path per set of outer relations.
 */
static void
add_parameterized_paths(PlannerInfo *root, RelOptInfo *baserel)
{
	List	   *outers = NIL;
	ListCell   *lc,
			   *lc2;

	foreach(lc, baserel->joininfo)
	{
		RestrictInfo *ri = lfirst(lc);
		List	   *fdw_exprs,
				   *prune;
		Relids		outer;

		if (!join_clause_is_movable_to(ri, baserel))
			continue;
		ctfdw_classify_quals(root, baserel->relid, list_make1(ri), baserel->fdw_private, false,
							 &fdw_exprs, &prune);
		if (prune == NIL)
			continue;
		outer = bms_union(bms_difference(ri->clause_relids, baserel->relids),
						  baserel->lateral_relids);
		if (bms_is_empty(outer))
			continue;
		foreach(lc2, outers)
			if (bms_equal(lfirst(lc2), outer))
				break;
		if (lc2 == NULL)
			outers = lappend(outers, outer);
	}
	foreach(lc, outers)
	{
		Relids		outer = lfirst(lc);
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, outer);
		double		rows = estimate_rows(root, baserel,
										 list_concat_copy(baserel->baserestrictinfo, ppi->ppi_clauses),
										 false);

		add_path(baserel, (Path *)
				 ctfdw_create_foreignscan_path(root, baserel, NULL, rows, SCAN_STARTUP_COST,
										 SCAN_STARTUP_COST + rows * RECORD_COST,
										 NIL, outer, NULL, NIL));
	}
}

static void
cloudtrailGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	Cost		startup = SCAN_STARTUP_COST;
	Cost		total = startup + baserel->rows * RECORD_COST;
	bool		lookup = is_lookup_table(foreigntableid);

	add_path(baserel, (Path *)
			 ctfdw_create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total,
									 lookup ? lookup_pathkeys(root, baserel, baserel->fdw_private) : NIL,
									 NULL, NULL, NIL));
	if (lookup)
		return;					/* one scan: LookupEvents' rate limit is per account */
	add_parameterized_paths(root, baserel);

	/*
	 * A parallel scan shares out the objects: each participant fetches and
	 * parses its own.  Parsing dominates, so the work divides well, and
	 * sending a row to the leader costs much less than making it: even an
	 * aggregate that cannot be split (count(DISTINCT ...)) gains.
	 */
	if (baserel->consider_parallel && max_parallel_workers_per_gather > 0)
	{
		int			workers = Min(max_parallel_workers_per_gather, 8);
		ForeignPath *pp;

		pp = ctfdw_create_foreignscan_path(root, baserel, NULL, baserel->rows / (workers + 1),
									 startup, startup + (total - startup) / (workers + 1),
									 NIL, NULL, NULL, NIL);
		pp->path.parallel_aware = true;
		pp->path.parallel_safe = true;
		pp->path.parallel_workers = workers;
		add_partial_path(baserel, (Path *) pp);
	}
}

static bool
cloudtrailIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	/* workers each running a LookupEvents scan would multiply the calls */
	return !is_lookup_table(rte->relid);
}

static Size
cloudtrailEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	return ctfdw_shared_size();
}

static void
cloudtrailInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
	CtFdwScanState *st = node->fdw_state;

	ctfdw_shared_init(coordinate);
	ctfdw_shared_set_credentials(coordinate, &st->opts);
	if (st->scan)
		ctfdw_s3_set_shared(st->scan, coordinate);
}

static void
cloudtrailReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
	CtFdwScanState *st = node->fdw_state;

	ctfdw_shared_init(coordinate);
	ctfdw_shared_set_credentials(coordinate, &st->opts);
}

static void
cloudtrailInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc, void *coordinate)
{
	CtFdwScanState *st = node->fdw_state;

	if (st->scan)
		ctfdw_s3_set_shared(st->scan, coordinate);
}

static ForeignScan *
cloudtrailGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
						 ForeignPath *best_path, List *tlist, List *scan_clauses,
						 Plan *outer_plan)
{
	List	   *columns = baserel->fdw_private;
	List	   *clauses = baserel->baserestrictinfo;
	List	   *fdw_exprs,
			   *prune;
	Bitmapset  *attrs = NULL;
	List	   *needed = NIL;
	ListCell   *lc;
	int			x;

	/* a parameterized path's join clauses prune too (outer columns become Params) */
	if (best_path->path.param_info)
		clauses = list_concat_copy(clauses, best_path->path.param_info->ppi_clauses);
	ctfdw_classify_quals(root, baserel->relid, clauses, columns, is_lookup_table(foreigntableid),
						 &fdw_exprs, &prune);

	/* the columns the query uses: target list and every qual */
	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &attrs);
	foreach(lc, clauses)
		pull_varattnos((Node *) ((RestrictInfo *) lfirst(lc))->clause, baserel->relid, &attrs);
	x = -1;
	while ((x = bms_next_member(attrs, x)) >= 0)
	{
		AttrNumber	attno = x + FirstLowInvalidHeapAttributeNumber;

		if (attno == 0)
		{
			/* whole-row reference: every column */
			ListCell   *c;

			needed = NIL;
			foreach(c, columns)
				needed = lappend_int(needed, ((CtColumn *) lfirst(c))->attnum);
			break;
		}
		if (attno > 0)
			needed = lappend_int(needed, attno);
	}

	/* pruning is lossy: every qual is checked again on every row */
	scan_clauses = extract_actual_clauses(scan_clauses, false);
	return make_foreignscan(tlist, scan_clauses, baserel->relid, fdw_exprs,
							list_make2(prune, needed), NIL, NIL, outer_plan);
}

/* ---------------------------------------------------------------- execution */

static void
free_scratch(void *arg)
{
	CtFdwScanState *st = arg;

	ct_buf_free(&st->scratch);
}

/* Evaluate the pruning expressions for the current parameter values. */
static void
compute_window(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;
	MemoryContext old;

	MemoryContextReset(st->window_cxt);
	old = MemoryContextSwitchTo(st->window_cxt);
	ctfdw_eval_window(st->prune, st->prune_states, node->ss.ps.ps_ExprContext,
					  &st->opts, &st->window);
	MemoryContextSwitchTo(old);
	st->window_ready = true;
}

static void
cloudtrailBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	EState	   *estate = node->ss.ps.state;
	CtFdwScanState *st = palloc0(sizeof(CtFdwScanState));
	Oid			userid = ctfdw_scan_user(fsplan, estate);
	List	   *needed = lsecond(fsplan->fdw_private);
	ListCell   *lc;
	MemoryContextCallback *cb;

	node->fdw_state = st;
	ctfdw_get_options(RelationGetRelid(rel), userid,
					  !(eflags & EXEC_FLAG_EXPLAIN_ONLY), &st->opts);
	st->columns = ctfdw_columns(rel, st->opts.source == CT_SOURCE_LOOKUP);
	foreach(lc, needed)
	{
		AttrNumber	attno = lfirst_int(lc);
		ListCell   *c;

		st->needed = bms_add_member(st->needed, attno);
		foreach(c, st->columns)
		{
			CtColumn   *col = lfirst(c);

			if (col->attnum == attno && col->kind != CT_COL_LOG_FILE &&
				col->kind != CT_COL_RECORD && col->kind != CT_COL_RESOURCE_NAMES &&
				col->kind != CT_COL_RESOURCE_TYPES)
				st->needs_parse = true;
		}
	}
	ctfdw_prepare_columns(st->columns);

	/*
	 * The pruning expressions.  Without parameters they are evaluated now
	 * (EXPLAIN shows the result); parameters have no values yet: an
	 * initplan runs when its output is first needed, after every node was
	 * initialized.  Those wait for the first fetch.
	 */
	st->prune = linitial(fsplan->fdw_private);
	st->prune_states = ExecInitExprList(fsplan->fdw_exprs, &node->ss.ps);
	st->runtime = ctfdw_prune_needs_params(fsplan->fdw_exprs);
	st->window_cxt = AllocSetContextCreate(estate->es_query_cxt, "cloudtrail_fdw window",
										   ALLOCSET_SMALL_SIZES);
	if (!st->runtime)
		compute_window(node);

	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	st->scan_cxt = AllocSetContextCreate(estate->es_query_cxt, "cloudtrail_fdw scan data",
										 ALLOCSET_DEFAULT_SIZES);
	st->temp_cxt = AllocSetContextCreate(estate->es_query_cxt, "cloudtrail_fdw temporary data",
										 ALLOCSET_SMALL_SIZES);
	cb = MemoryContextAllocZero(st->scan_cxt, sizeof(MemoryContextCallback));
	cb->func = free_scratch;
	cb->arg = st;
	MemoryContextRegisterResetCallback(st->scan_cxt, cb);
	st->index = MemoryContextAlloc(st->scan_cxt, sizeof(CtRecIndex));
	if (st->opts.source == CT_SOURCE_LOOKUP)
		st->lookup = ctfdw_lookup_begin(&st->opts, &st->window, st->scan_cxt);
	else
		st->scan = ctfdw_s3_begin(&st->opts, &st->window, st->scan_cxt);
}

/* Error context: which record of which file was being read. */
static void
record_error_callback(void *arg)
{
	CtFdwScanState *st = arg;
	const CtColumn *col = ctfdw_current_column;

	if (st->log_file == NULL)
		return;
	if (st->lookup)
	{
		if (col)
			errcontext("LookupEvents event %lld, column \"%s\"", (long long) st->recno, col->name);
		else
			errcontext("LookupEvents event %lld", (long long) st->recno);
		return;
	}
	if (col && col->kind == CT_COL_PATH)
	{
		StringInfoData path;

		initStringInfo(&path);
		for (int i = 0; i < col->npath; i++)
			appendStringInfo(&path, "%s%s", i ? "." : "", col->path[i]);
		errcontext("CloudTrail record %lld of \"%s\", field \"%s\" (column \"%s\")",
				   (long long) st->recno, st->log_file, path.data, col->name);
	}
	else if (col)
		errcontext("CloudTrail record %lld of \"%s\", column \"%s\"",
				   (long long) st->recno, st->log_file, col->name);
	else
		errcontext("CloudTrail record %lld of \"%s\"", (long long) st->recno, st->log_file);
}

static TupleTableSlot *
cloudtrailIterateForeignScan(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ErrorContextCallback errcb;
	MemoryContext old;

	if (!st->window_ready)
		compute_window(node);
	MemoryContextReset(st->temp_cxt);
	old = MemoryContextSwitchTo(st->temp_cxt);
	errcb.callback = record_error_callback;
	errcb.arg = st;
	errcb.previous = error_context_stack;
	error_context_stack = &errcb;
	ExecClearTuple(slot);
	for (;;)
	{
		const char *rec;
		size_t		len;
		char		err[256];
		void	   *resources = NULL;
		const char *why;

		st->log_file = NULL;
		ctfdw_current_column = NULL;
		if (st->lookup)
		{
			if (!ctfdw_lookup_next(st->lookup, &rec, &len, &resources))
				break;
			st->log_file = "";	/* turns the error context on */
			st->recno++;
		}
		else if (!ctfdw_s3_next(st->scan, &rec, &len, &st->log_file, &st->recno))
			break;
		MemoryContextSwitchTo(st->temp_cxt);
		if (st->needs_parse)
		{
			if (!ct_rec_index(rec, len, st->index, err, sizeof(err)))
			{
				if (st->opts.on_error_skip)
				{
					st->skipped_records++;
					ereport(WARNING,
							(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
							 errmsg("skipping a malformed CloudTrail record: %s", err)));
					continue;
				}
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
						 errmsg(st->lookup ? "malformed CloudTrailEvent in a LookupEvents reply: %s" :
								"malformed CloudTrail record: %s", err),
						 errhint("Table option on_error 'skip' skips such records with a warning.")));
			}
		}
		if ((why = ctfdw_build_tuple(st->columns, slot, st->needed, rec, len, st->index,
									 st->log_file, resources, &st->scratch)) != NULL)
		{
			/* a value no PostgreSQL text can hold: as malformed as any */
			ereport(st->opts.on_error_skip ? WARNING : ERROR,
					(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
					 errmsg(st->opts.on_error_skip ? "skipping a CloudTrail record: %s" :
							"cannot store a CloudTrail record: %s", why),
					 st->opts.on_error_skip ? 0 :
					 errhint("Table option on_error 'skip' skips such records with a warning.")));
			st->skipped_records++;
			ExecClearTuple(slot);
			continue;
		}
		break;
	}
	error_context_stack = errcb.previous;
	MemoryContextSwitchTo(old);
	return slot;
}

static void
cloudtrailReScanForeignScan(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;

	if (st->lookup)
		ctfdw_lookup_rescan(st->lookup);
	else
		ctfdw_s3_rescan(st->scan);
	st->recno = 0;
	/* a correlated or lateral bound changed: evaluate again at the next fetch */
	if (st->runtime && node->ss.ps.chgParam != NULL)
		st->window_ready = false;
}

static void
cloudtrailEndForeignScan(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;

	if (st == NULL || (st->scan == NULL && st->lookup == NULL))
		return;
	ct_buf_free(&st->scratch);
	if (st->lookup)
		ctfdw_lookup_end(st->lookup);
	else
		ctfdw_s3_end(st->scan);
}

/* ---------------------------------------------------------------- EXPLAIN */

static char *
list_text(List *l)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, l)
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", (char *) lfirst(lc));
	return b.data;
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
	return psprintf("%s%s", values ? list_text(values) : "none",
					pushed ? " (from WHERE)" : "");
}

static void
cloudtrailExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	CtFdwScanState *st = node->fdw_state;
	CtFdwOptions *o = &st->opts;
	CtWindow   *w = &st->window;
	StringInfoData b;
	/* parameters are known once the scan has run (EXPLAIN ANALYZE) */
	bool		known = st->window_ready;
	const char *at_run_time = st->runtime ? " (computed at run time)" : "";

	initStringInfo(&b);
	if (o->source == CT_SOURCE_LOOKUP)
	{
		ExplainPropertyText("CloudTrail Source",
							o->insight ? "LookupEvents (Insights events)" : "LookupEvents", es);
		if (!known)
			ExplainPropertyText("Calls", "computed at run time", es);
		else if (w->empty)
			ExplainPropertyText("Calls", psprintf("none (the WHERE clause matches nothing)%s",
												  at_run_time), es);
		else
		{
			List	   *lines = NIL,
					   *endpoints = NIL;

			ctfdw_lookup_describe(o, w, &lines, &endpoints);
			if (st->runtime)
				lines = lappend(lines, "(computed at run time)");
			ExplainPropertyList("Calls", lines, es);
			if (es->verbose && o->endpoint == NULL)
				ExplainPropertyList("Endpoints", endpoints, es);
		}
		if (es->analyze && st->lookup)
		{
			CtLookupStats *ls = ctfdw_lookup_stats(st->lookup);

			ExplainPropertyInteger("LookupEvents Calls", NULL, ls->calls, es);
			ExplainPropertyInteger("Pages", NULL, ls->pages, es);
			ExplainPropertyInteger("Throttled", NULL, ls->throttled, es);
			ExplainPropertyInteger("Retries", NULL, ls->retries, es);
			ExplainPropertyInteger("Events", NULL, ls->events, es);
		}
		return;
	}
	if (o->source == CT_SOURCE_DIRECTORY)
		appendStringInfo(&b, "%s", o->directory);
	else
		appendStringInfo(&b, "s3://%s/%s", o->bucket, o->prefix ? o->prefix : "");
	ExplainPropertyText("CloudTrail Source", b.data, es);
	if (es->verbose && o->source == CT_SOURCE_S3 && o->s3_endpoint == NULL)
		ExplainPropertyText("Endpoint", ctfdw_endpoint(o, CT_SERVICE_S3, o->region), es);
	ExplainPropertyText("Event Files", o->insight ? "insight" : "log", es);

	resetStringInfo(&b);
	if (!known)
		appendStringInfoString(&b, "computed at run time");
	else if (w->empty)
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
	if (known)
		appendStringInfoString(&b, at_run_time);
	ExplainPropertyText("Time Window", b.data, es);
	if (!known || w->has_upper)
	{
		Interval	iv = {o->max_delivery_delay, 0, 0};

		ExplainPropertyText("Delivery Delay",
							DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(&iv))),
							es);
	}
	if (!known)
	{
		ExplainPropertyText("Accounts", "computed at run time", es);
		ExplainPropertyText("Regions", "computed at run time", es);
	}
	else
	{
		ExplainPropertyText("Accounts", names_text(w->accounts, w->accounts_pushed,
												   w->accounts_listed), es);
		ExplainPropertyText("Regions", names_text(w->regions, w->regions_pushed,
												  w->regions_listed), es);
	}
	if (es->verbose && known && !w->empty)
	{
		List	   *lines = NIL;

		ctfdw_describe_prefixes(o, w, &lines);
		ExplainPropertyList("Listing", lines, es);
	}
	if (es->analyze && st->scan)
	{
		CtScanStats *s = ctfdw_s3_stats(st->scan);

		ExplainPropertyInteger("Objects Listed", NULL, s->listed, es);
		ExplainPropertyInteger("Objects Fetched", NULL, s->fetched, es);
		ExplainPropertyInteger("Bytes Fetched", NULL, s->bytes, es);
		ExplainPropertyInteger("List Requests", NULL, s->lists, es);
		ExplainPropertyInteger("Requests", NULL, s->requests, es);
		ExplainPropertyInteger("Retries", NULL, s->retries, es);
		ExplainPropertyInteger("Records", NULL, s->records, es);
		if (s->skipped_files || st->skipped_records)
		{
			ExplainPropertyInteger("Skipped Files", NULL, s->skipped_files, es);
			ExplainPropertyInteger("Skipped Records", NULL, st->skipped_records, es);
		}
	}
}

/* ---------------------------------------------------------------- IMPORT */

/* CREATE FOREIGN TABLE for one kind of table, with the options that apply to it. */
static char *
import_table(const char *name, bool lookup, ForeignServer *server, List *options)
{
	StringInfoData sql;
	ListCell   *lc;
	bool		first = true;
	const char *type;
	const char *col;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (\n", quote_identifier(name));
	for (int i = 0; (col = ctfdw_standard_column(i, lookup, &type)) != NULL; i++)
		appendStringInfo(&sql, "%s  %s %s", i ? ",\n" : "", quote_identifier(col), type);
	appendStringInfo(&sql, "\n) SERVER %s", quote_identifier(server->servername));
	if (lookup)
	{
		appendStringInfoString(&sql, " OPTIONS (source 'lookup_events'");
		first = false;
	}
	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);
		static const char *const shared[] = {"regions", NULL};
		static const char *const lookup_only[] = {"event_category", "lookup_max_wait", NULL};
		bool		is_shared = false,
					is_lookup = false;

		for (int i = 0; shared[i]; i++)
			is_shared |= strcmp(def->defname, shared[i]) == 0;
		for (int i = 0; lookup_only[i]; i++)
			is_lookup |= strcmp(def->defname, lookup_only[i]) == 0;
		if (!is_shared && is_lookup != lookup)
			continue;
		appendStringInfo(&sql, "%s %s %s", first ? " OPTIONS (" : ",",
						 quote_identifier(def->defname), quote_literal_cstr(defGetString(def)));
		first = false;
	}
	if (!first)
		appendStringInfoChar(&sql, ')');
	return sql.data;
}

static bool
import_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
		listed |= strcmp(((RangeVar *) lfirst(lc))->relname, name) == 0;
	return listed == (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO);
}

/*
 * IMPORT FOREIGN SCHEMA cloudtrail: event_history (LookupEvents) always,
 * trail_events when the options name a bucket or directory.
 */
static List *
cloudtrailImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *out = NIL;
	ListCell   *lc;
	bool		trail = false;

	if (strcmp(stmt->remote_schema, "cloudtrail") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not available on server \"%s\"",
						stmt->remote_schema, server->servername),
				 errhint("cloudtrail_fdw offers one remote schema: IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER ... INTO ... [OPTIONS (bucket '...')].")));
	foreach(lc, stmt->options)
	{
		const char *n = ((DefElem *) lfirst(lc))->defname;

		trail |= strcmp(n, "bucket") == 0 || strcmp(n, "directory") == 0;
	}
	if (import_wanted(stmt, "event_history"))
		out = lappend(out, import_table("event_history", true, server, stmt->options));
	if (import_wanted(stmt, "trail_events"))
	{
		if (!trail && stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
					 errmsg("importing trail_events needs option \"bucket\" or \"directory\"")));
		if (trail)
			out = lappend(out, import_table("trail_events", false, server, stmt->options));
	}
	return out;
}

/* ---------------------------------------------------------------- handler */

static bool
pg_interrupted(void)
{
	return InterruptPending;
}

static void
pg_debug(const char *msg)
{
	elog(DEBUG2, "cloudtrail_fdw: %s", msg);
}

/* libcurl waits on the network: the backend shows the wait event meanwhile */
static void
pg_wait_start(void)
{
	pgstat_report_wait_start(ctfdw_wait_event_network());
}

static void
pg_wait_end(void)
{
	pgstat_report_wait_end();
}

static const CtHost pg_host = {pg_interrupted, pg_debug, pg_wait_start, pg_wait_end};

void
_PG_init(void)
{
	ct_set_host(&pg_host);
	MarkGUCPrefixReserved("cloudtrail_fdw");
}

PG_FUNCTION_INFO_V1(cloudtrail_fdw_handler);

Datum
cloudtrail_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = cloudtrailGetForeignRelSize;
	routine->GetForeignPaths = cloudtrailGetForeignPaths;
	routine->GetForeignPlan = cloudtrailGetForeignPlan;
	routine->BeginForeignScan = cloudtrailBeginForeignScan;
	routine->IterateForeignScan = cloudtrailIterateForeignScan;
	routine->ReScanForeignScan = cloudtrailReScanForeignScan;
	routine->EndForeignScan = cloudtrailEndForeignScan;
	routine->ExplainForeignScan = cloudtrailExplainForeignScan;
	routine->ImportForeignSchema = cloudtrailImportForeignSchema;
	routine->IsForeignScanParallelSafe = cloudtrailIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = cloudtrailEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = cloudtrailInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = cloudtrailReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = cloudtrailInitializeWorkerForeignScan;
	PG_RETURN_POINTER(routine);
}

/*-------------------------------------------------------------------------
 *
 * cloudtrail_fdw.c
 *		Foreign-data wrapper for AWS CloudTrail.
 *
 * The handler and its FdwRoutine callbacks: planning (pruning quals, the
 * columns a query needs, paths), the executor side (scan state, tuples,
 * error context), EXPLAIN and IMPORT FOREIGN SCHEMA.  What differs between
 * kinds of table is in their source (source.h): the trail in S3 or in a
 * directory (trail.c), LookupEvents (lookup.c).  Pruning is in prune.c,
 * record-to-tuple conversion in tuple.c, options in option.c, talking to
 * AWS in session.c; the AWS client layer under src/aws knows nothing of
 * PostgreSQL.
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
#include "ct_recscan.h"
#include "ct_cloudtrail.h"
#include "limiter.h"
#include "session.h"
#include "source.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/* fdw_private of a ForeignScan */
enum CtFdwScanPrivateIndex
{
	CtFdwPrivatePrune,			/* List of IntList: what each fdw_expr bounds */
	CtFdwPrivateNeeded,			/* IntList of attnums the query uses */
	CtFdwPrivateOrder			/* Integer: the CtScanOrder the plan wants */
};

typedef struct CtFdwScanState
{
	CtFdwOptions opts;
	const CtSourceRoutine *source;
	List	   *columns;		/* CtColumn per attribute */
	Bitmapset  *needed;
	bool		needs_parse;	/* some needed column reads the JSON */
	List	   *prune;			/* what each pruning expression bounds */
	List	   *prune_states;	/* ExprState per fdw_expr */
	CtScanOrder order;			/* rows in event_time order (a pathkey) */
	bool		runtime;		/* the pruning expressions hold parameters */
	bool		window_ready;	/* window evaluated for the current parameters */
	MemoryContext window_cxt;	/* the window's values */
	CtWindow	window;
	MemoryContext scan_cxt;		/* "cloudtrail_fdw scan data" */
	MemoryContext temp_cxt;		/* per tuple */
	void	   *scan;			/* the source's scan */
	CtRecIndex *index;			/* top-level members of the current record */
	CtBuf		scratch;		/* malloc'd: freed by the scan context's callback */
	CtRow		row;			/* the current record, for error context */
	bool		in_row;
	int64		skipped_records;
} CtFdwScanState;



/* ---------------------------------------------------------------- planning */

/*
 * Rows a scan with these clauses returns.  Without statistics, guess from
 * the window: a trail holds thousands of events a day.  A bounded window
 * is much cheaper than an open one, which is all the planner needs to know.
 * The window stands for its time conditions, so their selectivity is not
 * counted again: the other clauses' is.
 */
static double
estimate_rows(PlannerInfo *root, RelOptInfo *baserel, List *clauses, CtTableKind kind)
{
	double		days = 90;
	bool		lo = false,
				hi = false;
	List	   *others = NIL;
	ListCell   *lc;

	foreach(lc, clauses)
	{
		List	   *fdw_exprs,
				   *prune;
		bool		l,
					h;

		ctfdw_classify_quals(root, baserel->relid, list_make1(lfirst(lc)), baserel->fdw_private,
							 kind, &fdw_exprs, &prune);
		ctfdw_prune_time_bounds(prune, &l, &h);
		lo |= l;
		hi |= h;
		if (!l && !h)
			others = lappend(others, lfirst(lc));
	}
	if (lo && hi)
		days = 1;
	else if (lo || hi)
		days = 30;
	return clamp_row_est(5000 * days *
						 clauselist_selectivity(root, others, baserel->relid, JOIN_INNER, NULL));
}

/* Columns of the table (into fdw_private) and the size of a scan. */
static void
cloudtrailGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	CtTableKind kind = ctfdw_source_of_table(foreigntableid)->kind;
	Relation	rel = table_open(foreigntableid, AccessShareLock);

	baserel->fdw_private = ctfdw_columns(rel, kind);
	table_close(rel, AccessShareLock);
	baserel->rows = estimate_rows(root, baserel, baserel->baserestrictinfo, kind);
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
		ctfdw_classify_quals(root, baserel->relid, list_make1(ri), baserel->fdw_private,
							 CT_TABLE_TRAIL, &fdw_exprs, &prune);
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
										 CT_TABLE_TRAIL);

		add_path(baserel, (Path *)
				 ctfdw_create_foreignscan_path(root, baserel, NULL, rows, SCAN_STARTUP_COST,
										 SCAN_STARTUP_COST + rows * RECORD_COST,
										 NIL, outer, NULL, NIL));
	}
}

/*
 * The pathkey of the table's event-time column (the one reading eventTime as
 * timestamptz): descending (NULLS FIRST) or ascending (NULLS LAST).  NIL if
 * the table has no such column.
 */
List *
ctfdw_event_time_pathkeys(PlannerInfo *root, RelOptInfo *baserel, List *columns, bool desc)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		CtColumn   *col = lfirst(lc);

		if (col->kind == CT_COL_PATH && col->npath == 1 && strcmp(col->path[0], "eventTime") == 0 &&
			col->typid == TIMESTAMPTZOID)
		{
			Var		   *var = makeVar(baserel->relid, col->attnum, TIMESTAMPTZOID, -1, InvalidOid, 0);
			TypeCacheEntry *tc = lookup_type_cache(TIMESTAMPTZOID,
												   TYPECACHE_GT_OPR | TYPECACHE_LT_OPR);

			return ctfdw_build_expression_pathkey(root, (Expr *) var,
												  desc ? tc->gt_opr : tc->lt_opr,
												  baserel->relids, true);
		}
	}
	return NIL;
}

/*
 * Paths that read a trail in event_time order, if the query wants it (an
 * ORDER BY, a merge join): newest files first or oldest first.  Rows come
 * out as soon as no unread file can hold an earlier one, so a LIMIT stops
 * the scan early.  The cost says so: a small startup cost (newest first: a
 * few files; oldest first: max_delivery_delay of rows must be held), and a
 * total cost above a sort's, so that a query reading everything sorts.
 */
static void
add_ordered_paths(PlannerInfo *root, RelOptInfo *baserel, Oid relid, Cost startup, Cost total)
{
	CtFdwOptions opts;

	if (!root->query_pathkeys)
		return;
	ctfdw_get_options(relid, GetUserId(), false, &opts);
	for (int desc = 0; desc <= 1; desc++)
	{
		List	   *pathkeys = ctfdw_event_time_pathkeys(root, baserel, baserel->fdw_private, desc);
		double		held;

		/* useful if the query's order begins with it (the rest: incremental sort) */
		if (pathkeys == NIL || linitial(pathkeys) != linitial(root->query_pathkeys))
			continue;
		/* rows held before the first comes out: minutes of them, or the delay's */
		held = desc ? 5000.0 / 24 / 12 :
			5000.0 / 24 * opts.max_delivery_delay / USECS_PER_HOUR;
		add_path(baserel, (Path *)
				 ctfdw_create_foreignscan_path(root, baserel, NULL, baserel->rows,
											   startup + Min(held, baserel->rows) * RECORD_COST,
											   total + baserel->rows * RECORD_COST,
											   pathkeys, NULL, NULL,
											   list_make1(makeInteger(desc ? CT_ORDER_DESC :
																	  CT_ORDER_ASC))));
	}
}

/*
 * The plain path (with the source's pathkeys), paths in event_time order,
 * paths parameterized by join clauses that bound the window, and a
 * parallel path.
 */
static void
cloudtrailGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	const CtSourceRoutine *src = ctfdw_source_of_table(foreigntableid);
	Cost		startup = SCAN_STARTUP_COST;
	Cost		total = startup + baserel->rows * RECORD_COST;

	add_path(baserel, (Path *)
			 ctfdw_create_foreignscan_path(root, baserel, NULL, baserel->rows,
									 startup, total,
									 src->pathkeys ? src->pathkeys(root, baserel, baserel->fdw_private) : NIL,
									 NULL, NULL, NIL));
	if (src->ordered)
		add_ordered_paths(root, baserel, foreigntableid, startup, total);
	if (src->parameterized)
		add_parameterized_paths(root, baserel);

	/*
	 * A parallel scan shares out the objects: each participant fetches and
	 * parses its own.  Parsing dominates, so the work divides well, and
	 * sending a row to the leader costs much less than making it: even an
	 * aggregate that cannot be split (count(DISTINCT ...)) gains.
	 */
	if (src->dsm_size && baserel->consider_parallel && max_parallel_workers_per_gather > 0)
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

/* Sources without parallel support (LookupEvents: one rate limit) are not safe. */
static bool
cloudtrailIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	return ctfdw_source_of_table(rte->relid)->dsm_size != NULL;
}

/* The source's shared state of a parallel scan. */
static Size
cloudtrailEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	return ((CtFdwScanState *) node->fdw_state)->source->dsm_size();
}

/* The leader sets up the shared state (and its credentials) and joins it. */
static void
cloudtrailInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
	CtFdwScanState *st = node->fdw_state;

	st->source->dsm_init(coordinate, &st->opts);
	if (st->scan)
		st->source->dsm_attach(st->scan, coordinate);
}

/* A rescan of the Gather: the shared state starts over. */
static void
cloudtrailReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
	CtFdwScanState *st = node->fdw_state;

	st->source->dsm_init(coordinate, &st->opts);
}

/* A worker joins the shared state. */
static void
cloudtrailInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc, void *coordinate)
{
	CtFdwScanState *st = node->fdw_state;

	if (st->scan)
		st->source->dsm_attach(st->scan, coordinate);
}

/*
 * The executor will not read the scan on (a LIMIT is met, or a worker's
 * rows are no longer wanted): the other participants must not wait for it.
 */
static void
cloudtrailShutdownForeignScan(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;

	if (st && st->scan && st->source->dsm_shutdown)
		st->source->dsm_shutdown(st->scan);
}

/*
 * The plan: the pruning expressions (fdw_exprs) and what each bounds, the
 * columns the query uses, and every qual kept for checking on each row.
 */
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
	ctfdw_classify_quals(root, baserel->relid, clauses, columns,
						 ctfdw_source_of_table(foreigntableid)->kind, &fdw_exprs, &prune);

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
	/* in the order of CtFdwScanPrivateIndex */
	return make_foreignscan(tlist, scan_clauses, baserel->relid, fdw_exprs,
							list_make3(prune, needed,
									   best_path->fdw_private ? linitial(best_path->fdw_private) :
									   makeInteger(CT_ORDER_NONE)),
							NIL, NIL, outer_plan);
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
	st->window.order = st->order;
	MemoryContextSwitchTo(old);
	st->window_ready = true;
}

/*
 * Scan state: merged options, columns, the pruning expressions, and the
 * source's scan (not for EXPLAIN without ANALYZE).
 */
static void
cloudtrailBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *fsplan = (ForeignScan *) node->ss.ps.plan;
	Relation	rel = node->ss.ss_currentRelation;
	EState	   *estate = node->ss.ps.state;
	CtFdwScanState *st = palloc0(sizeof(CtFdwScanState));
	Oid			userid = ctfdw_scan_user(fsplan, estate);
	List	   *needed = list_nth(fsplan->fdw_private, CtFdwPrivateNeeded);
	ListCell   *lc;
	MemoryContextCallback *cb;

	node->fdw_state = st;
	ctfdw_get_options(RelationGetRelid(rel), userid,
					  !(eflags & EXEC_FLAG_EXPLAIN_ONLY), &st->opts);
	st->source = st->opts.source;
	st->columns = ctfdw_columns(rel, st->source->kind);
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
	st->prune = list_nth(fsplan->fdw_private, CtFdwPrivatePrune);
	st->order = intVal(list_nth(fsplan->fdw_private, CtFdwPrivateOrder));
	/* EXPLAIN shows the read order even of a window computed at run time */
	st->window.order = st->order;
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
	st->scan = st->source->begin(&st->opts, &st->window, st->scan_cxt);
}

/* Error context: which record of which file was being read. */
static void
record_error_callback(void *arg)
{
	CtFdwScanState *st = arg;
	const CtColumn *col = ctfdw_current_column;
	const CtRow *row = &st->row;

	if (!st->in_row)
		return;
	if (row->log_file == NULL)
	{
		if (col)
			errcontext("LookupEvents event %lld, column \"%s\"", (long long) row->recno, col->name);
		else
			errcontext("LookupEvents event %lld", (long long) row->recno);
		return;
	}
	if (col && col->kind == CT_COL_PATH)
	{
		StringInfoData path;

		initStringInfo(&path);
		for (int i = 0; i < col->npath; i++)
			appendStringInfo(&path, "%s%s", i ? "." : "", col->path[i]);
		errcontext("CloudTrail record %lld of \"%s\", field \"%s\" (column \"%s\")",
				   (long long) row->recno, row->log_file, path.data, col->name);
	}
	else if (col)
		errcontext("CloudTrail record %lld of \"%s\", column \"%s\"",
				   (long long) row->recno, row->log_file, col->name);
	else
		errcontext("CloudTrail record %lld of \"%s\"", (long long) row->recno, row->log_file);
}

/*
 * Make the row's tuple in slot.  false: the record is unreadable and
 * on_error 'skip' skips it (with a warning).
 */
static bool
store_row(CtFdwScanState *st, TupleTableSlot *slot)
{
	CtRow	   *row = &st->row;
	char		err[256];
	const char *why;

	if (st->needs_parse && !ct_rec_index(row->rec, row->len, st->index, err, sizeof(err)))
	{
		if (st->opts.on_error_skip)
		{
			st->skipped_records++;
			ereport(WARNING,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("skipping a malformed CloudTrail record: %s", err)));
			return false;
		}
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
				 row->log_file ?
				 errmsg("malformed CloudTrail record: %s", err) :
				 errmsg("malformed CloudTrailEvent in a LookupEvents reply: %s", err),
				 errhint("Table option on_error 'skip' skips such records with a warning.")));
	}
	if ((why = ctfdw_build_tuple(st->columns, slot, st->needed, row->rec, row->len, st->index,
								 row->log_file, row->api_resources, &st->scratch)) != NULL)
	{
		/* a value no PostgreSQL text can hold: as malformed as any */
		ereport(st->opts.on_error_skip ? WARNING : ERROR,
				(errcode(ERRCODE_UNTRANSLATABLE_CHARACTER),
				 st->opts.on_error_skip ?
				 errmsg("skipping a CloudTrail record: %s", why) :
				 errmsg("cannot store a CloudTrail record: %s", why),
				 st->opts.on_error_skip ? 0 :
				 errhint("Table option on_error 'skip' skips such records with a warning.")));
		st->skipped_records++;
		ExecClearTuple(slot);
		return false;
	}
	return true;
}

/* The next row of the source that makes a tuple, or an empty slot at the end. */
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
		st->in_row = false;
		ctfdw_current_column = NULL;
		memset(&st->row, 0, sizeof(st->row));
		if (!st->source->next(st->scan, &st->row))
			break;
		st->in_row = true;
		MemoryContextSwitchTo(st->temp_cxt);
		if (store_row(st, slot))
			break;
	}
	error_context_stack = errcb.previous;
	MemoryContextSwitchTo(old);
	return slot;
}

/* Start over; a changed parameter makes the window be evaluated again. */
static void
cloudtrailReScanForeignScan(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;

	st->source->rescan(st->scan);
	/* a correlated or lateral bound changed: evaluate again at the next fetch */
	if (st->runtime && node->ss.ps.chgParam != NULL)
		st->window_ready = false;
}

/* Free what the source holds outside PostgreSQL memory (it would go with the context anyway). */
static void
cloudtrailEndForeignScan(ForeignScanState *node)
{
	CtFdwScanState *st = node->fdw_state;

	if (st == NULL || st->scan == NULL)
		return;
	ct_buf_free(&st->scratch);
	st->source->end(st->scan);
}

/* ---------------------------------------------------------------- EXPLAIN */

/*
 * What the source will read (plain EXPLAIN: parameters are known once the
 * scan has run) and, for EXPLAIN ANALYZE, what it did.
 */
static void
cloudtrailExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	CtFdwScanState *st = node->fdw_state;

	st->source->explain(&st->opts, &st->window, st->window_ready, st->runtime, st->scan, es);
	if (es->analyze && st->skipped_records)
		ExplainPropertyInteger("Skipped Records", NULL, st->skipped_records, es);
}

/* ---------------------------------------------------------------- IMPORT */

/*
 * CREATE FOREIGN TABLE for a table of source src, with the IMPORT options
 * that apply to it (a trail table also takes unknown ones, which the
 * validator then names).
 */
static char *
import_table(const char *name, const CtSourceRoutine *src, ForeignServer *server, List *options)
{
	StringInfoData sql;
	ListCell   *lc;
	bool		first = true;
	const char *type;
	const char *col;

	initStringInfo(&sql);
	appendStringInfo(&sql, "CREATE FOREIGN TABLE %s (\n", quote_identifier(name));
	for (int i = 0; (col = ctfdw_standard_column(i, src->kind, &type)) != NULL; i++)
		appendStringInfo(&sql, "%s  %s %s", i ? ",\n" : "", quote_identifier(col), type);
	appendStringInfo(&sql, "\n) SERVER %s", quote_identifier(server->servername));
	if (src->name && src != ctfdw_sources[0])
	{
		appendStringInfo(&sql, " OPTIONS (source %s", quote_literal_cstr(src->name));
		first = false;
	}
	foreach(lc, options)
	{
		DefElem    *def = lfirst(lc);

		if (strcmp(def->defname, "source") == 0 ||
			!ctfdw_table_option_applies(def->defname, src, src->kind == CT_TABLE_TRAIL))
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

/* Does an IMPORT without bucket or directory want any trail table? */
static bool
wants_trails(ImportForeignSchemaStmt *stmt)
{
	ListCell   *lc;

	if (stmt->list_type != FDW_IMPORT_SCHEMA_LIMIT_TO)
		return true;
	foreach(lc, stmt->table_list)
		if (strcmp(((RangeVar *) lfirst(lc))->relname, "event_history") != 0)
			return true;
	return false;
}

static DefElem *
string_option(const char *name, const char *value)
{
	return makeDefElem(pstrdup(name), (Node *) makeString(pstrdup(value)), -1);
}

/* A discovered trail's table options: where it writes, then the IMPORT's. */
static List *
trail_options(const CtTrailInfo *t, List *import_options)
{
	List	   *options = list_make1(string_option("bucket", t->bucket));
	ListCell   *lc;
	bool		regions = false;

	if (t->prefix && *t->prefix)
		options = lappend(options, string_option("prefix", t->prefix));
	foreach(lc, import_options)
		regions |= strcmp(((DefElem *) lfirst(lc))->defname, "regions") == 0;
	if (!t->multi_region && !regions && t->home_region && ctfdw_valid_region(t->home_region))
		options = lappend(options, string_option("regions", t->home_region));
	return list_concat(options, import_options);
}

/*
 * IMPORT without a bucket: a trail table per trail that DescribeTrails shows
 * in the server's region (the region's trails, and the multi-region and
 * organization trails of other home regions), named after the trail.
 */
static List *
import_discovered(ImportForeignSchemaStmt *stmt, ForeignServer *server)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "cloudtrail_fdw import",
											  ALLOCSET_SMALL_SIZES);
	CtFdwOptions opts;
	CtHttpReq  *req;
	CtTrailList list;
	CtWhat		what = {CT_OP_CALL, NULL, NULL};
	List	   *out = NIL,
			   *seen = NIL;
	char		err[256];

	ctfdw_get_server_options(server->serverid, GetUserId(), &opts);
	what.name = psprintf("DescribeTrails in region %s", opts.region);
	req = ctfdw_session_json_call(ctfdw_session_open(&opts, 1, NULL, cxt), CT_SERVICE_CLOUDTRAIL,
								  opts.region, CT_DESCRIBE_TRAILS_TARGET,
								  "{\"includeShadowTrails\":true}", &what);
	if (!ct_trails_parse(req->body.data, req->body.len, &list, err, sizeof(err)))
	{
		ct_http_free(req);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not read a DescribeTrails reply from region %s", opts.region),
				 errdetail_internal("%s", err)));
	}
	ct_http_free(req);
	PG_TRY();
	{
		for (int i = 0; i < list.ntrails; i++)
		{
			const CtTrailInfo *t = &list.trails[i];

			if (list_member(seen, makeString(t->name)) || !import_wanted(stmt, t->name))
				continue;
			seen = lappend(seen, makeString(pstrdup(t->name)));
			out = lappend(out, import_table(t->name, &ctfdw_s3_source, server,
											trail_options(t, stmt->options)));
		}
	}
	PG_FINALLY();
	{
		ct_trails_free(&list);
	}
	PG_END_TRY();
	MemoryContextDelete(cxt);
	return out;
}

/*
 * IMPORT FOREIGN SCHEMA cloudtrail: event_history (LookupEvents) always;
 * trail_events when the options name a bucket or directory, else a table
 * per trail DescribeTrails shows.
 */
static List *
cloudtrailImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	List	   *out = NIL;
	ListCell   *lc;
	const CtSourceRoutine *trail;
	bool		has_trail = false;

	if (strcmp(stmt->remote_schema, "cloudtrail") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("schema \"%s\" is not available on server \"%s\"",
						stmt->remote_schema, server->servername),
				 errhint("cloudtrail_fdw offers one remote schema: IMPORT FOREIGN SCHEMA cloudtrail FROM SERVER ... INTO ... [OPTIONS (bucket '...')].")));
	trail = ctfdw_source_for(stmt->options);
	if (trail->kind != CT_TABLE_TRAIL)
		trail = ctfdw_sources[0];
	foreach(lc, stmt->options)
		has_trail |= strcmp(((DefElem *) lfirst(lc))->defname, "bucket") == 0 ||
			(trail->selected_by && strcmp(((DefElem *) lfirst(lc))->defname, trail->selected_by) == 0);
	if (import_wanted(stmt, "event_history"))
		out = lappend(out, import_table("event_history", &ctfdw_lookup_events_source, server,
										stmt->options));
	if (has_trail)
	{
		if (import_wanted(stmt, "trail_events"))
			out = lappend(out, import_table("trail_events", trail, server, stmt->options));
	}
	else if (stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && import_wanted(stmt, "trail_events"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("importing trail_events needs option \"bucket\" or \"directory\""),
				 errhint("Without them, IMPORT makes a table for each trail DescribeTrails shows, named after the trail.")));
	else if (wants_trails(stmt))
		out = list_concat(out, import_discovered(stmt, server));
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
	DefineCustomIntVariable("cloudtrail_fdw.progress_interval",
							"Seconds between progress notices of a scan (0: none).",
							"Long scans report files, events and bytes read and what is left to read.",
							&ctfdw_progress_interval, 0, 0, 3600, PGC_USERSET, GUC_UNIT_S,
							NULL, NULL, NULL);
	/* loaded by shared_preload_libraries: one LookupEvents limiter for all */
	ctfdw_limiter_init();
	MarkGUCPrefixReserved("cloudtrail_fdw");
}

PG_FUNCTION_INFO_V1(cloudtrail_fdw_handler);

/* The FdwRoutine: every callback above. */
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
	routine->ShutdownForeignScan = cloudtrailShutdownForeignScan;
	PG_RETURN_POINTER(routine);
}

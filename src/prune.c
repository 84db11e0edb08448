/*-------------------------------------------------------------------------
 *
 * prune.c
 *		What the WHERE clause lets a scan skip.
 *
 * The analogue of postgres_fdw's classifyConditions, for pruning instead
 * of remote evaluation.  Three kinds of qual are used:
 *
 *	event_time <op> expr		op one of < <= = >= >: the time window
 *	recipient_account_id = expr / = ANY(expr)	account folders to read
 *	aws_region = expr / = ANY(expr)				region folders to read
 *
 * expr may be anything without Vars of the table and without volatile
 * functions: constants, now() - interval '1 day', parameters (a prepared
 * statement's, a PL/pgSQL variable, an initplan's output such as
 * (SELECT max(...) FROM ...), a correlated outer value).  Such expressions
 * go to fdw_exprs.  Without parameters they are evaluated at executor
 * start; with them, when the scan first fetches (initplans have run by
 * then) and again after every rescan that changed a parameter.  Pruning is
 * lossy by design: every qual stays in the plan and is rechecked on every
 * row, so results are exact whatever is pruned.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/prune.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/stratnum.h"
#include "access/xact.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "cloudtrail_fdw.h"
#include "source.h"

typedef enum PruneKind
{
	PRUNE_TIME,
	PRUNE_ACCOUNT,
	PRUNE_REGION,
	PRUNE_ATTR = 10				/* + index into ctfdw_attr_keys */
} PruneKind;

const char *const ctfdw_attr_keys[CT_NUM_ATTRS] = {
	"EventId", "AccessKeyId", "ResourceName", "Username",
	"EventName", "ResourceType", "EventSource", "ReadOnly"
};

/*
 * The LookupEvents attribute a column of an event-history table stands for.
 * Only columns whose values compare as the API compares them: text (uuid
 * for event IDs, boolean for readOnly), not a type whose equality differs.
 */
static int
lookup_attr(CtColumn *col)
{
	if (col->typid == TEXTARRAYOID && col->kind == CT_COL_RESOURCE_NAMES)
		return CT_ATTR_RESOURCE_NAME;
	if (col->typid == TEXTARRAYOID && col->kind == CT_COL_RESOURCE_TYPES)
		return CT_ATTR_RESOURCE_TYPE;
	if (col->kind == CT_COL_RESOURCE_NAMES || col->kind == CT_COL_RESOURCE_TYPES)
		return -1;
	if (col->kind == CT_COL_USERNAME)
		return col->typid == TEXTOID ? CT_ATTR_USERNAME : -1;
	if (col->kind != CT_COL_PATH)
		return -1;
	if (col->npath == 1 && strcmp(col->path[0], "readOnly") == 0)
		return col->typid == BOOLOID ? CT_ATTR_READ_ONLY : -1;
	if (col->npath == 1 && strcmp(col->path[0], "eventID") == 0)
		return col->typid == TEXTOID || col->typid == UUIDOID ? CT_ATTR_EVENT_ID : -1;
	if (col->typid != TEXTOID)
		return -1;
	if (col->npath == 2 && strcmp(col->path[0], "userIdentity") == 0 &&
		strcmp(col->path[1], "accessKeyId") == 0)
		return CT_ATTR_ACCESS_KEY_ID;
	if (col->npath != 1)
		return -1;
	if (strcmp(col->path[0], "eventName") == 0)
		return CT_ATTR_EVENT_NAME;
	if (strcmp(col->path[0], "eventSource") == 0)
		return CT_ATTR_EVENT_SOURCE;
	return -1;
}

static CtColumn *
find_column(List *columns, AttrNumber attno)
{
	ListCell   *lc;

	foreach(lc, columns)
		if (((CtColumn *) lfirst(lc))->attnum == attno)
			return lfirst(lc);
	return NULL;
}

/*
 * A built-in "=" whose operands both have the column's type, comparing
 * bytes: under a nondeterministic collation 'A' = 'a', and the value sent
 * would miss rows.
 */
static bool
is_equality(Oid opno, Oid type, Oid collid)
{
	Oid			left,
				right;
	char	   *name;

	op_input_types(opno, &left, &right);
	if (left != type || right != type)
		return false;
	if (OidIsValid(collid) && !get_collation_isdeterministic(collid))
		return false;
	name = get_opname(opno);
	return name && strcmp(name, "=") == 0 &&
		get_func_namespace(get_opcode(opno)) == PG_CATALOG_NAMESPACE;
}

/* Which pruning a column serves, if any. */
static int
column_role(List *columns, AttrNumber attno)
{
	ListCell   *lc;

	foreach(lc, columns)
	{
		CtColumn   *col = lfirst(lc);

		if (col->attnum != attno || col->kind != CT_COL_PATH || col->npath != 1)
			continue;
		if (strcmp(col->path[0], "eventTime") == 0 && col->typid == TIMESTAMPTZOID)
			return PRUNE_TIME;
		if (strcmp(col->path[0], "recipientAccountId") == 0 && col->typid == TEXTOID)
			return PRUNE_ACCOUNT;
		if (strcmp(col->path[0], "awsRegion") == 0 && col->typid == TEXTOID)
			return PRUNE_REGION;
	}
	return -1;
}

static bool
is_our_var(Node *n, Index relid, AttrNumber *attno)
{
	while (n && IsA(n, RelabelType))
		n = (Node *) ((RelabelType *) n)->arg;
	if (n && IsA(n, Var) && ((Var *) n)->varno == relid &&
		((Var *) n)->varlevelsup == 0 && ((Var *) n)->varattno > 0)
	{
		*attno = ((Var *) n)->varattno;
		return true;
	}
	return false;
}

/*
 * An expression the scan can evaluate before it reads: no column of the
 * table itself, nothing volatile.  Columns of other tables come from a
 * join clause of a parameterized path: they become parameters, set by the
 * nested loop for each outer row.
 */
static bool
is_runtime_constant(PlannerInfo *root, Index relid, Node *n)
{
	return !bms_is_member(relid, pull_varnos(root, n)) && !contain_volatile_functions(n) &&
		!contain_subplans(n) && !contain_agg_clause(n) && !contain_window_function(n);
}

/* Strategy of a timestamptz comparison operator, 0 if it is not one. */
static int
time_strategy(Oid opno, bool commuted)
{
	Oid			left,
				right;
	char	   *name;
	int			s = 0;

	op_input_types(opno, &left, &right);
	if (left != TIMESTAMPTZOID || right != TIMESTAMPTZOID)
		return 0;
	name = get_opname(opno);
	if (name == NULL || get_func_namespace(get_opcode(opno)) != PG_CATALOG_NAMESPACE)
		return 0;
	if (strcmp(name, "<") == 0)
		s = BTLessStrategyNumber;
	else if (strcmp(name, "<=") == 0)
		s = BTLessEqualStrategyNumber;
	else if (strcmp(name, "=") == 0)
		s = BTEqualStrategyNumber;
	else if (strcmp(name, ">=") == 0)
		s = BTGreaterEqualStrategyNumber;
	else if (strcmp(name, ">") == 0)
		s = BTGreaterStrategyNumber;
	if (commuted && s != 0)
		s = BTMaxStrategyNumber + 1 - s;
	return s;
}

static void
add_bound(List **fdw_exprs, List **prune, int kind, int strategy, Expr *expr)
{
	*fdw_exprs = lappend(*fdw_exprs, expr);
	*prune = lappend(*prune, list_make3_int(kind, strategy, list_length(*fdw_exprs) - 1));
}

/* What the classification of one scan's quals works with. */
typedef struct Classify
{
	PlannerInfo *root;
	Index		relid;
	List	   *columns;
	bool		lookup;			/* an event-history table */
	List	  **fdw_exprs;
	List	  **prune;
} Classify;

/* read_only, NOT read_only */
static void
classify_bool(Classify *c, Node *clause)
{
	Node	   *v = IsA(clause, Var) ? clause : (Node *) get_notclausearg((Expr *) clause);
	AttrNumber	attno;
	CtColumn   *col;

	if (is_our_var(v, c->relid, &attno) && (col = find_column(c->columns, attno)) &&
		lookup_attr(col) == CT_ATTR_READ_ONLY)
		add_bound(c->fdw_exprs, c->prune, PRUNE_ATTR + CT_ATTR_READ_ONLY, 0,
				  (Expr *) makeBoolConst(IsA(clause, Var), false));
}

/* column op value, or value op column */
static void
classify_op(Classify *c, OpExpr *op)
{
	Node	   *l = linitial(op->args),
			   *r = lsecond(op->args);
	bool		commuted = false;
	AttrNumber	attno;
	int			role;

	if (!is_our_var(l, c->relid, &attno))
	{
		Node	   *t = l;

		l = r;
		r = t;
		commuted = true;
		if (!is_our_var(l, c->relid, &attno))
			return;
	}
	if (!is_runtime_constant(c->root, c->relid, r))
		return;
	if (c->lookup)
	{
		CtColumn   *col = find_column(c->columns, attno);
		int			a = col ? lookup_attr(col) : -1;

		if (a >= 0 && col->kind != CT_COL_RESOURCE_NAMES && col->kind != CT_COL_RESOURCE_TYPES &&
			is_equality(op->opno, col->typid, op->inputcollid) &&
			exprType(r) == col->typid)
		{
			add_bound(c->fdw_exprs, c->prune, PRUNE_ATTR + a, 0, (Expr *) r);
			return;
		}
	}
	role = column_role(c->columns, attno);
	if (role == PRUNE_TIME)
	{
		int			s = time_strategy(op->opno, commuted);

		if (s != 0 && exprType(r) == TIMESTAMPTZOID)
			add_bound(c->fdw_exprs, c->prune, PRUNE_TIME, s, (Expr *) r);
	}
	else if ((role == PRUNE_ACCOUNT || role == PRUNE_REGION) &&
			 is_equality(op->opno, TEXTOID, op->inputcollid) && exprType(r) == TEXTOID)
		add_bound(c->fdw_exprs, c->prune, role, 0, (Expr *) r);
}

/* column = ANY (array), and for event history 'x' = ANY (resource column) */
static void
classify_any(Classify *c, ScalarArrayOpExpr *sa)
{
	Node	   *l = linitial(sa->args),
			   *r = lsecond(sa->args);
	AttrNumber	attno;
	CtColumn   *col;
	int			role;

	if (!sa->useOr)
		return;					/* = ALL (...) */
	if (c->lookup)
	{
		/* 'x' = ANY(resource_names) */
		if (is_our_var(r, c->relid, &attno) && (col = find_column(c->columns, attno)) &&
			(col->kind == CT_COL_RESOURCE_NAMES || col->kind == CT_COL_RESOURCE_TYPES) &&
			is_runtime_constant(c->root, c->relid, l) && exprType(l) == TEXTOID &&
			is_equality(sa->opno, TEXTOID, sa->inputcollid))
		{
			add_bound(c->fdw_exprs, c->prune, PRUNE_ATTR + lookup_attr(col), 0, (Expr *) l);
			return;
		}
		/* event_name IN ('a', 'b') */
		if (is_our_var(l, c->relid, &attno) && (col = find_column(c->columns, attno)) &&
			lookup_attr(col) >= 0 && col->kind != CT_COL_RESOURCE_NAMES &&
			col->kind != CT_COL_RESOURCE_TYPES && is_runtime_constant(c->root, c->relid, r) &&
			is_equality(sa->opno, col->typid, sa->inputcollid) &&
			exprType(r) == get_array_type(col->typid))
		{
			add_bound(c->fdw_exprs, c->prune, PRUNE_ATTR + lookup_attr(col), 1, (Expr *) r);
			return;
		}
	}
	if (!is_our_var(l, c->relid, &attno) || !is_runtime_constant(c->root, c->relid, r) ||
		!is_equality(sa->opno, TEXTOID, sa->inputcollid) || exprType(r) != TEXTARRAYOID)
		return;
	role = column_role(c->columns, attno);
	if (role == PRUNE_ACCOUNT || role == PRUNE_REGION)
		add_bound(c->fdw_exprs, c->prune, role, 1, (Expr *) r);
}

/*
 * Look at clauses (RestrictInfos) of the table, relid in the query, and
 * put the expressions pruning can use into *fdw_exprs, with a description
 * of each in *prune_private.  Anything not understood is simply not used:
 * it is checked on each row.
 */
void
ctfdw_classify_quals(PlannerInfo *root, Index relid, List *clauses, List *columns,
					 CtTableKind kind, List **fdw_exprs, List **prune_private)
{
	Classify	c = {root, relid, columns, kind == CT_TABLE_HISTORY, fdw_exprs, prune_private};
	ListCell   *lc;

	*fdw_exprs = NIL;
	*prune_private = NIL;
	foreach(lc, clauses)
	{
		Node	   *clause = (Node *) ((RestrictInfo *) lfirst(lc))->clause;

		if (c.lookup && (IsA(clause, Var) || is_notclause(clause)))
			classify_bool(&c, clause);
		else if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
			classify_op(&c, (OpExpr *) clause);
		else if (IsA(clause, ScalarArrayOpExpr))
			classify_any(&c, (ScalarArrayOpExpr *) clause);
	}
}

/* Does the expression need run-time values: parameters of any kind? */
static bool
contains_param_walker(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return true;
	return expression_tree_walker(node, contains_param_walker, context);
}

bool
ctfdw_prune_needs_params(List *fdw_exprs)
{
	return contains_param_walker((Node *) fdw_exprs, NULL);
}

/* Keep the values that are also in *current (unless there is none yet). */
static List *
restrict_to(List *current, bool have_current, List *values)
{
	List	   *out = NIL;
	ListCell   *lc;

	if (!have_current)
		return values;
	foreach(lc, values)
	{
		ListCell   *lc2;

		foreach(lc2, current)
			if (strcmp(lfirst(lc), lfirst(lc2)) == 0)
			{
				out = lappend(out, lfirst(lc));
				break;
			}
	}
	return out;
}

/*
 * The values of a pushed-down qual as strings: one, or the elements of an
 * array.  Booleans become "true"/"false", as LookupEvents wants them.
 * NULL elements match nothing and are left out.
 */
static char *
value_text(Datum d, Oid type)
{
	Oid			out;
	bool		varlena;

	if (type == BOOLOID)
		return pstrdup(DatumGetBool(d) ? "true" : "false");
	getTypeOutputInfo(type, &out, &varlena);
	return OidOutputFunctionCall(out, d);
}

static List *
text_values(Datum d, bool array, Oid type)
{
	List	   *out = NIL;
	ArrayType  *arr;
	int16		elmlen;
	bool		elmbyval;
	char		elmalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;

	if (!array)
		return list_make1(value_text(d, type));
	arr = DatumGetArrayTypeP(d);
	get_typlenbyvalalign(ARR_ELEMTYPE(arr), &elmlen, &elmbyval, &elmalign);
	deconstruct_array(arr, ARR_ELEMTYPE(arr), elmlen, elmbyval, elmalign, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
		if (!nulls[i])
		{
			char	   *v = value_text(elems[i], ARR_ELEMTYPE(arr));

			if (!restrict_to(out, true, list_make1(v)))
				out = lappend(out, v);
		}
	return out;
}

/*
 * Only names that can be a path element: an account ID is 12 digits, a
 * region a region name.  Anything else is in no folder and no endpoint's
 * host name, so it matches no row and must never reach a key or a path.
 */
static List *
valid_only(List *values, bool (*valid) (const char *))
{
	List	   *out = NIL;
	ListCell   *lc;

	foreach(lc, values)
		if (valid(lfirst(lc)))
			out = lappend(out, lfirst(lc));
	return out;
}

/*
 * Can LookupEvents take this AttributeValue?  1 to 2000 characters, where
 * '_', ' ', ',' and newline count twice.  Another value can still match
 * rows (an empty accessKeyId), so the attribute is then not sent at all.
 */
static bool
lookup_value_ok(const char *v)
{
	int			n = 0;

	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if ((*p & 0xC0) != 0x80)	/* count characters, not bytes */
			n += strchr("_ ,\n", *p) ? 2 : 1;
	return n >= 1 && n <= 2000;
}

/* Do the pruning quals bound the time from below, from above? */
void
ctfdw_prune_time_bounds(List *prune_private, bool *lower, bool *upper)
{
	ListCell   *lc;

	*lower = *upper = false;
	foreach(lc, prune_private)
	{
		List	   *p = lfirst(lc);

		if (linitial_int(p) != PRUNE_TIME)
			continue;
		*lower |= lsecond_int(p) >= BTEqualStrategyNumber;
		*upper |= lsecond_int(p) <= BTEqualStrategyNumber;
	}
}

/* A bound on event_time: strategy is the operator's, as if column op t. */
static void
apply_time(CtWindow *w, int strategy, TimestampTz t)
{
	if (strategy != BTGreaterStrategyNumber && strategy != BTGreaterEqualStrategyNumber &&
		(!w->has_upper || t < w->upper))
	{
		w->upper = t;
		w->has_upper = true;
	}
	if (strategy != BTLessStrategyNumber && strategy != BTLessEqualStrategyNumber &&
		(!w->has_lower || t > w->lower))
	{
		w->lower = t;
		w->has_lower = true;
	}
}

/* Accounts or regions a condition allows (values that cannot be one match nothing). */
static void
apply_folders(CtWindow *w, bool acct, List *values)
{
	List	   *v = valid_only(values, acct ? ctfdw_valid_account : ctfdw_valid_region);

	if (acct)
		w->accounts = restrict_to(w->accounts, w->accounts_pushed, v);
	else
		w->regions = restrict_to(w->regions, w->regions_pushed, v);
	*(acct ? &w->accounts_pushed : &w->regions_pushed) = true;
}

/* Values of LookupEvents attribute a a condition allows. */
static void
apply_attr(CtWindow *w, int a, List *v)
{
	ListCell   *vc;

	/*
	 * 'a' = ANY(resource_types) AND 'b' = ANY(resource_types): an event may
	 * hold both.  Either value alone is a filter; the first is kept, and the
	 * rest are checked on each row.
	 */
	if ((a == CT_ATTR_RESOURCE_NAME || a == CT_ATTR_RESOURCE_TYPE) && w->attr_pushed[a])
		return;
	foreach(vc, v)
		w->attr_unsendable[a] |= !lookup_value_ok(lfirst(vc));
	w->attr_values[a] = restrict_to(w->attr_values[a], w->attr_pushed[a], v);
	w->attr_pushed[a] = true;
}

/* Infinite and impossible bounds, and the table's options as a boundary. */
static void
finish_window(CtFdwOptions *opts, CtWindow *w)
{
	/*
	 * Infinite bounds: "< infinity" bounds nothing, "> infinity" leaves
	 * nothing (no event has an infinite time).
	 */
	if (w->has_lower && TIMESTAMP_IS_NOBEGIN(w->lower))
		w->has_lower = false;
	if (w->has_upper && TIMESTAMP_IS_NOEND(w->upper))
		w->has_upper = false;
	if ((w->has_lower && TIMESTAMP_IS_NOEND(w->lower)) ||
		(w->has_upper && TIMESTAMP_IS_NOBEGIN(w->upper)) ||
		(w->has_lower && w->has_upper && w->lower > w->upper))
		w->empty = true;

	/*
	 * LookupEvents holds no event from after AWS's clock, which is within 15
	 * minutes of ours (SigV4 refuses requests otherwise): a later StartTime
	 * matches nothing, and AWS would refuse it as after its default EndTime.
	 */
	if (opts->source->kind == CT_TABLE_HISTORY && w->has_lower &&
		w->lower > GetCurrentTransactionStartTimestamp() + 15 * 60 * USECS_PER_SEC)
		w->empty = true;

	/* the table's options bound what may be read; WHERE narrows within them */
	if (opts->account_ids)
		w->accounts = restrict_to(opts->account_ids, true,
								  w->accounts_pushed ? w->accounts : opts->account_ids);
	if (opts->regions)
		w->regions = restrict_to(opts->regions, true,
								 w->regions_pushed ? w->regions : opts->regions);
	w->accounts_listed = w->accounts_pushed || opts->account_ids != NIL;
	w->regions_listed = w->regions_pushed || opts->regions != NIL;
	if ((w->accounts_listed && w->accounts == NIL) || (w->regions_listed && w->regions == NIL))
		w->empty = true;
	for (int a = 0; a < CT_NUM_ATTRS; a++)
		if (w->attr_pushed[a] && w->attr_values[a] == NIL)
			w->empty = true;
}

/*
 * Evaluate the pruning expressions and work out the window, accounts and
 * regions, within the table's account_ids and regions.  Runs when the
 * scan first fetches and after each rescan whose parameters changed, in
 * the caller's memory context, which must last as long as the window.
 *
 * A qual that can never be true (a NULL bound, contradictory bounds, a
 * value outside the table's options) makes the window empty: nothing
 * needs to be read at all.
 */
void
ctfdw_eval_window(List *prune_private, List *expr_states, ExprContext *econtext,
				  CtFdwOptions *opts, CtWindow *w)
{
	ListCell   *lc;

	memset(w, 0, sizeof(*w));
	foreach(lc, prune_private)
	{
		List	   *p = lfirst(lc);
		int			kind = linitial_int(p),
					strategy = lsecond_int(p);
		ExprState  *es = list_nth(expr_states, lthird_int(p));
		bool		isnull;
		Datum		d = ExecEvalExprSwitchContext(es, econtext, &isnull);

		if (isnull)
			w->empty = true;
		else if (kind == PRUNE_TIME)
			apply_time(w, strategy, DatumGetTimestampTz(d));
		else if (kind == PRUNE_ACCOUNT || kind == PRUNE_REGION)
			apply_folders(w, kind == PRUNE_ACCOUNT, text_values(d, strategy == 1, TEXTOID));
		else
			apply_attr(w, kind - PRUNE_ATTR, text_values(d, strategy == 1, exprType((Node *) es->expr)));
	}
	finish_window(opts, w);
}

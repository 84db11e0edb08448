/*-------------------------------------------------------------------------
 *
 * source.h
 *		The source interface: what a kind of foreign table plugs in.
 *
 * Each source (a trail in S3, a trail copied to a directory, the
 * LookupEvents API) is one CtSourceRoutine: its name, the kind of table it
 * makes (which columns and pruning quals apply), its planning hooks, its
 * scan callbacks and its EXPLAIN.  The FDW callbacks in cloudtrail_fdw.c
 * dispatch through it.  A new source is one file defining a routine and
 * one line in sources.h.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/source.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CTFDW_SOURCE_H
#define CTFDW_SOURCE_H

#include "cloudtrail_fdw.h"
#include "compat.h"			/* ExplainState */

/* One row of a scan: a record and what came with it. */
typedef struct CtRow
{
	const char *rec;			/* the record's JSON text */
	size_t		len;
	const char *log_file;		/* the file it is in; NULL: an API reply */
	int64		recno;			/* its number in the file or reply */
	void	   *api_resources;	/* LookupEvents' Resources array, or NULL */
} CtRow;

typedef struct CtSourceRoutine
{
	const char *name;			/* value of option "source", or NULL */
	const char *selected_by;	/* a table option that selects it, or NULL */
	const char *description;	/* for messages: "a trail table" */
	CtTableKind kind;			/* columns and pruning quals */
	bool		network;		/* talks to AWS (needs credentials) */

	/* planning */
	List	   *(*pathkeys) (PlannerInfo *root, RelOptInfo *baserel, List *columns);
	bool		parameterized;	/* offer paths with join-clause bounds */
	bool		ordered;		/* can read in event_time order, either way */

	/* parallel scans (NULL: not parallel safe) */
	Size		(*dsm_size) (void);
	void		(*dsm_init) (void *coordinate, CtFdwOptions *opts);
	void		(*dsm_attach) (void *scan, void *coordinate);
	void		(*dsm_shutdown) (void *scan);	/* the scan will not be read on */

	/* execution */
	void	   *(*begin) (CtFdwOptions *opts, CtWindow *w, MemoryContext cxt);
	bool		(*next) (void *scan, CtRow *row);
	void		(*rescan) (void *scan);
	void		(*end) (void *scan);

	/* EXPLAIN: known says whether w holds the scan's values yet */
	void		(*explain) (CtFdwOptions *opts, CtWindow *w, bool known, bool runtime,
							void *scan, ExplainState *es);
} CtSourceRoutine;

/* the registry (source.c) */
#define CT_SOURCE(name) extern const CtSourceRoutine ctfdw_##name##_source;
#include "sources.h"
#undef CT_SOURCE

extern const CtSourceRoutine *const ctfdw_sources[];
extern const CtSourceRoutine *ctfdw_source_for(List *table_options);
extern const CtSourceRoutine *ctfdw_source_of_table(Oid relid);

/* progress notices (source.c) */
extern int	ctfdw_progress_interval;
extern bool ctfdw_progress_due(TimestampTz *last);

/* planning (cloudtrail_fdw.c) */
extern List *ctfdw_event_time_pathkeys(PlannerInfo *root, RelOptInfo *baserel, List *columns,
									   bool desc);

/* EXPLAIN helpers shared by sources (source.c) */
extern char *ctfdw_list_text(List *l);

#endif							/* CTFDW_SOURCE_H */

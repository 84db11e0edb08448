/*-------------------------------------------------------------------------
 *
 * source.c
 *		The registry of sources, and which source a foreign table reads.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/source.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "utils/timestamp.h"

#include "source.h"

const CtSourceRoutine *const ctfdw_sources[] = {
#define CT_SOURCE(name) &ctfdw_##name##_source,
#include "sources.h"
#undef CT_SOURCE
	NULL
};

/*
 * The source of a table with these options: the one an option selects
 * (directory), else the one option "source" names, else the first.  The
 * validator has refused tables where these disagree.
 */
const CtSourceRoutine *
ctfdw_source_for(List *table_options)
{
	ListCell   *lc;
	const char *named = NULL;

	foreach(lc, table_options)
	{
		DefElem    *def = lfirst(lc);

		for (int i = 0; ctfdw_sources[i]; i++)
			if (ctfdw_sources[i]->selected_by &&
				strcmp(def->defname, ctfdw_sources[i]->selected_by) == 0)
				return ctfdw_sources[i];
		if (strcmp(def->defname, "source") == 0)
			named = defGetString(def);
	}
	for (int i = 0; named && ctfdw_sources[i]; i++)
		if (ctfdw_sources[i]->name && strcmp(ctfdw_sources[i]->name, named) == 0)
			return ctfdw_sources[i];
	return ctfdw_sources[0];
}

const CtSourceRoutine *
ctfdw_source_of_table(Oid relid)
{
	return ctfdw_source_for(GetForeignTable(relid)->options);
}

/* "a, b, c" */
char *
ctfdw_list_text(List *l)
{
	StringInfoData b;
	ListCell   *lc;

	initStringInfo(&b);
	foreach(lc, l)
		appendStringInfo(&b, "%s%s", b.len ? ", " : "", (char *) lfirst(lc));
	return b.data;
}

/*
 * A zeroed object in cxt whose cleanup runs when cxt is reset or deleted
 * (an ERROR included): the owner of what the object holds outside
 * PostgreSQL's memory.
 */
void *
ctfdw_alloc_owned(MemoryContext cxt, Size size, void (*cleanup) (void *obj))
{
	void	   *obj = MemoryContextAllocZero(cxt, size);
	MemoryContextCallback *cb = MemoryContextAllocZero(cxt, sizeof(MemoryContextCallback));

	cb->func = cleanup;
	cb->arg = obj;
	MemoryContextRegisterResetCallback(cxt, cb);
	return obj;
}

/* cloudtrail_fdw.progress_interval, in seconds; 0: no progress notices */
int			ctfdw_progress_interval = 0;

/*
 * Is a progress notice due?  *last is when the scan began or last said
 * something (0: not yet: the clock starts now).
 */
bool
ctfdw_progress_due(TimestampTz *last)
{
	TimestampTz now;

	if (ctfdw_progress_interval <= 0)
		return false;
	now = GetCurrentTimestamp();
	if (*last == 0)
		*last = now;
	if (now - *last < (TimestampTz) ctfdw_progress_interval * USECS_PER_SEC)
		return false;
	*last = now;
	return true;
}

/*-------------------------------------------------------------------------
 *
 * sources.h
 *		The registry of sources: one line each, CT_SOURCE(x) for the
 *		CtSourceRoutine ctfdw_x_source.  The first is the default of a
 *		table that names none.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/sources.h
 *
 *-------------------------------------------------------------------------
 */
CT_SOURCE(s3)
CT_SOURCE(directory)
CT_SOURCE(lookup_events)

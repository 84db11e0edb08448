/*-------------------------------------------------------------------------
 *
 * inflater.c
 *		cloudtrail_fdw_inflater(): which library this build inflates with.
 *
 * The build takes ISA-L when it finds it and zlib otherwise (Makefile,
 * WITH_ISAL); this says, at run time, which one the installed library has.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/inflater.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "ct_records.h"

PG_FUNCTION_INFO_V1(cloudtrail_fdw_inflater);

Datum
cloudtrail_fdw_inflater(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(ct_rr_inflater(CT_INFLATE_DEFAULT)));
}

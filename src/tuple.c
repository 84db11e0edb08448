/*-------------------------------------------------------------------------
 *
 * tuple.c
 *		From CloudTrail records to tuples.
 *
 * Columns are matched by name to the standard columns below, or mapped to
 * any JSON path with the column option "path".  A value is converted with
 * the input function of the column's declared type: JSON strings give
 * their content, other JSON values their JSON text, so a column can be
 * declared text, jsonb, uuid, boolean, timestamptz or anything else the
 * value can be read as.  Only columns the query uses are built.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/tuple.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "common/string.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
#include "utils/varlena.h"

#include "cloudtrail_fdw.h"
#include "ct_json.h"
#include "ct_recscan.h"

/*
 * The standard columns: name, type (for IMPORT FOREIGN SCHEMA), the record
 * member they come from ("" for the derived ones) and the kinds of table
 * that have them.
 */
#define TRAIL_ONLY (1 << CT_TABLE_TRAIL)
#define HISTORY_ONLY (1 << CT_TABLE_HISTORY)

static const struct
{
	const char *name;
	const char *type;
	const char *path;
	int			kinds;			/* 0: every kind of table */
}			standard[] = {
	{"event_id", "uuid", "eventID"},
	{"event_time", "timestamptz", "eventTime"},
	{"event_name", "text", "eventName"},
	{"event_source", "text", "eventSource"},
	{"event_type", "text", "eventType"},
	{"event_category", "text", "eventCategory"},
	{"event_version", "text", "eventVersion"},
	{"aws_region", "text", "awsRegion"},
	{"recipient_account_id", "text", "recipientAccountId"},
	{"source_ip_address", "text", "sourceIPAddress"},
	{"user_agent", "text", "userAgent"},
	{"username", "text", ""},
	{"user_type", "text", "userIdentity.type"},
	{"user_arn", "text", "userIdentity.arn"},
	{"user_account_id", "text", "userIdentity.accountId"},
	{"access_key_id", "text", "userIdentity.accessKeyId"},
	{"read_only", "boolean", "readOnly"},
	{"management_event", "boolean", "managementEvent"},
	{"error_code", "text", "errorCode"},
	{"error_message", "text", "errorMessage"},
	{"request_id", "text", "requestID"},
	{"shared_event_id", "uuid", "sharedEventID"},
	{"vpc_endpoint_id", "text", "vpcEndpointId"},
	{"session_credential_from_console", "boolean", "sessionCredentialFromConsole"},
	{"user_identity", "jsonb", "userIdentity"},
	{"request_parameters", "jsonb", "requestParameters"},
	{"response_elements", "jsonb", "responseElements"},
	{"additional_event_data", "jsonb", "additionalEventData"},
	{"resources", "jsonb", "resources"},
	{"tls_details", "jsonb", "tlsDetails"},
	{"service_event_details", "jsonb", "serviceEventDetails"},
	{"insight_details", "jsonb", "insightDetails"},
	{"addendum", "jsonb", "addendum"},
	{"record", "jsonb", ""},
	{"log_file", "text", "", TRAIL_ONLY},
	{"resource_types", "text[]", "", HISTORY_ONLY},
	{"resource_names", "text[]", "", HISTORY_ONLY},
	{NULL}
};

/* Is standard column i one a table of this kind has? */
static bool
column_applies(int i, CtTableKind kind)
{
	return standard[i].kinds == 0 || (standard[i].kinds & (1 << kind)) != 0;
}

/* the column being converted, for error context */
const CtColumn *ctfdw_current_column;

/* Name and type of the i-th standard column of a table kind, for IMPORT. */
const char *
ctfdw_standard_column(int i, CtTableKind kind, const char **type)
{
	for (int j = 0; standard[j].name; j++)
	{
		if (!column_applies(j, kind))
			continue;
		if (i-- == 0)
		{
			*type = standard[j].type;
			return standard[j].name;
		}
	}
	return NULL;
}

const char *
ctfdw_standard_path(const char *column)
{
	for (int i = 0; standard[i].name; i++)
		if (strcmp(standard[i].name, column) == 0)
			return standard[i].path;
	return NULL;
}

const char *
ctfdw_closest_column(const char *name)
{
	const char *best = NULL;
	int			best_d = INT_MAX;

	for (int i = 0; standard[i].name; i++)
	{
		int			d = varstr_levenshtein_less_equal(name, strlen(name), standard[i].name,
													  strlen(standard[i].name), 1, 1, 1, 6, true);

		if (d < best_d)
		{
			best_d = d;
			best = standard[i].name;
		}
	}
	return best_d <= Max(2, (int) strlen(name) / 3) ? best : NULL;
}

static void
set_path(CtColumn *col, const char *path)
{
	char	   *copy = pstrdup(path);
	char	   *save;
	int			n = 1;

	for (const char *p = path; *p; p++)
		n += *p == '.';
	col->path = palloc(sizeof(char *) * n);
	col->npath = 0;
	for (char *t = strtok_r(copy, ".", &save); t; t = strtok_r(NULL, ".", &save))
		col->path[col->npath++] = t;
}

/*
 * The column list of a foreign table: one CtColumn per live attribute.
 * An attribute with neither a standard name nor a path option is an error.
 */
List *
ctfdw_columns(Relation rel, CtTableKind kind)
{
	TupleDesc	desc = RelationGetDescr(rel);
	List	   *out = NIL;

	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		CtColumn   *col;
		List	   *options;
		ListCell   *lc;
		const char *path = NULL;

		if (att->attisdropped)
			continue;
		col = palloc0(sizeof(CtColumn));
		col->attnum = att->attnum;
		col->name = pstrdup(NameStr(att->attname));
		col->typid = att->atttypid;
		col->typmod = att->atttypmod;
		col->json_out = att->atttypid == JSONBOID || att->atttypid == JSONOID;
		options = GetForeignColumnOptions(RelationGetRelid(rel), att->attnum);
		foreach(lc, options)
		{
			DefElem    *def = (DefElem *) lfirst(lc);

			if (strcmp(def->defname, "path") == 0)
				path = defGetString(def);
		}
		if (path)
		{
			col->kind = CT_COL_PATH;
			set_path(col, path);
		}
		else
		{
			const char *std = ctfdw_standard_path(col->name);

			for (int j = 0; std && standard[j].name; j++)
				if (strcmp(standard[j].name, col->name) == 0 && !column_applies(j, kind))
					ereport(ERROR,
							(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
							 errmsg("column \"%s\" of foreign table \"%s\" is only available in %s",
									col->name, RelationGetRelationName(rel),
									kind == CT_TABLE_HISTORY ? "trail tables" :
									"event-history tables (source 'lookup_events')")));
			if (std == NULL)
			{
				const char *near = ctfdw_closest_column(col->name);

				ereport(ERROR,
						(errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
						 errmsg("column \"%s\" of foreign table \"%s\" is not a CloudTrail column",
								col->name, RelationGetRelationName(rel)),
						 near ? errhint("Perhaps you meant \"%s\", or give the column a path option, such as OPTIONS (path 'userIdentity.arn').", near) :
						 errhint("Give the column a path option, such as OPTIONS (path 'userIdentity.arn').")));
			}
			if (strcmp(col->name, "username") == 0)
				col->kind = CT_COL_USERNAME;
			else if (strcmp(col->name, "record") == 0)
				col->kind = CT_COL_RECORD;
			else if (strcmp(col->name, "log_file") == 0)
				col->kind = CT_COL_LOG_FILE;
			else if (strcmp(col->name, "resource_types") == 0)
				col->kind = CT_COL_RESOURCE_TYPES;
			else if (strcmp(col->name, "resource_names") == 0)
				col->kind = CT_COL_RESOURCE_NAMES;
			else
			{
				col->kind = CT_COL_PATH;
				set_path(col, std);
			}
		}
		out = lappend(out, col);
	}
	return out;
}

/*
 * JSON text is UTF-8.  A UTF8 or SQL_ASCII database takes it as it is;
 * another encoding gets each value converted, and a character it has no
 * equivalent for makes the record unreadable.
 */
static int	db_encoding = -1;
static Oid	from_utf8 = InvalidOid;

void
ctfdw_prepare_columns(List *columns)
{
	ListCell   *lc;

	db_encoding = GetDatabaseEncoding();
	if (db_encoding != PG_UTF8 && db_encoding != PG_SQL_ASCII)
	{
		from_utf8 = FindDefaultConversionProc(PG_UTF8, db_encoding);
		if (!OidIsValid(from_utf8))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot read CloudTrail records into a database with encoding \"%s\"",
							GetDatabaseEncodingName()),
					 errdetail("CloudTrail records are UTF-8, and there is no conversion from UTF8 to %s.",
							   GetDatabaseEncodingName())));
	}

	foreach(lc, columns)
	{
		CtColumn   *col = lfirst(lc);
		Oid			infunc;

		getTypeInputInfo(col->typid, &infunc, &col->typioparam);
		fmgr_info(infunc, &col->infunc);
	}
}

static const char *server_text(const char *text, size_t len, const char **why);

/*
 * resource_types / resource_names: one element per entry of LookupEvents'
 * Resources, NULL where the API gave none (ResourceType may be null).
 */
static Datum
resource_array(CtJson *resources, const char *member, const char **why)
{
	int			n = ct_json_array_length(resources);
	Datum	   *elems = palloc0(sizeof(Datum) * Max(n, 1));
	bool	   *nulls = palloc0(sizeof(bool) * Max(n, 1));
	int			dims[1] = {n};
	int			lbs[1] = {1};

	for (int i = 0; i < n; i++)
	{
		const char *v = ct_json_string(ct_json_array_get(resources, i), member);

		nulls[i] = v == NULL;
		if (v && (v = server_text(v, strlen(v), why)) == NULL)
			return (Datum) 0;
		if (v)
			elems[i] = CStringGetTextDatum(v);
	}
	if (n == 0)
		return PointerGetDatum(construct_empty_array(TEXTOID));
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false,
											  TYPALIGN_INT));
}

/*
 * Valid UTF-8 text in the database encoding: text itself, or a converted
 * copy; NULL (and *why set) when it is not UTF-8 or does not convert.
 */
static const char *
server_text(const char *text, size_t len, const char **why)
{
	unsigned char *conv;
	size_t		cap;

	if (ct_utf8_invalid_at(text, len) < len)
	{
		*why = "invalid UTF-8 or a NUL byte";
		return NULL;
	}
	if (db_encoding == PG_UTF8 || db_encoding == PG_SQL_ASCII || pg_is_ascii(text))
		return text;
	cap = len * MAX_CONVERSION_GROWTH + 1;
	if (cap > MaxAllocSize)
	{
		*why = "a value too long to convert";
		return NULL;
	}
	conv = palloc(cap);
	if ((size_t) pg_do_encoding_conversion_buf(from_utf8, PG_UTF8, db_encoding,
											   (unsigned char *) text, (int) len, conv,
											   (int) cap, true) < len)
	{
		*why = psprintf("a character with no equivalent in encoding \"%s\"",
						GetDatabaseEncodingName());
		return NULL;
	}
	return (const char *) conv;
}

/*
 * The text of a path column's value into *text (NULL: absent or null):
 * a string's content, any other value its JSON text, as written.  Returns
 * why the value cannot be stored, or NULL.
 */
static const char *
path_text(const CtColumn *col, const CtRecIndex *index, CtBuf *scratch, const char **text)
{
	CtSpan		v;

	*text = NULL;
	if (!ct_rec_path(index, col->path, col->npath, &v) || v.type == 'z')
		return NULL;
	if (v.type == 's' && !col->json_out)
	{
		if (!ct_span_string(&v, scratch))
			return "a string holds \\u0000 or a lone surrogate, which text cannot hold";
	}
	else if (index->nul_escape && ct_span_has_nul_escape(v.p, v.len))
		return "a string holds \\u0000, which jsonb cannot hold";
	else
	{
		ct_buf_reset(scratch);
		ct_buf_append(scratch, v.p, v.len);
	}
	*text = scratch->data;
	return NULL;
}

/* The value of n digits at p, or -1 if they are not all digits. */
static int
digits(const char *p, int n)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return v;
}

/*
 * CloudTrail writes every time as "2026-11-13T00:33:12Z".  Such a text is
 * made a timestamptz here, as timestamptz_in would make it but without its
 * general parser (a quarter of the PostgreSQL side of a scan that reads
 * event_time); anything else goes to the input function.
 */
bool
ctfdw_cloudtrail_time(const char *t, TimestampTz *out)
{
	int			y,
				mo,
				d,
				h,
				mi,
				s;

	if (strlen(t) != 20 || t[4] != '-' || t[7] != '-' || t[10] != 'T' || t[13] != ':' ||
		t[16] != ':' || t[19] != 'Z')
		return false;
	y = digits(t, 4);
	mo = digits(t + 5, 2);
	d = digits(t + 8, 2);
	h = digits(t + 11, 2);
	mi = digits(t + 14, 2);
	s = digits(t + 17, 2);
	if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > day_tab[isleap(y)][mo - 1] ||
		h < 0 || h > 23 || mi < 0 || mi > 59 || s < 0 || s > 59)
		return false;
	*out = (TimestampTz) (date2j(y, mo, d) - POSTGRES_EPOCH_JDATE) * USECS_PER_DAY +
		(TimestampTz) ((h * 60 + mi) * 60 + s) * USECS_PER_SEC;
	return true;
}

/*
 * Fill slot from one record.  Returns NULL, or why the record cannot be
 * stored (a value PostgreSQL text cannot hold), with ctfdw_current_column
 * left at the column: the caller errors out or skips the record.
 */
const char *
ctfdw_build_tuple(List *columns, TupleTableSlot *slot, Bitmapset *needed,
				  const char *rec, size_t len, const CtRecIndex *index,
				  const char *log_file, void *api_resources, CtBuf *scratch)
{
	ListCell   *lc;
	const char *why = NULL;

	ctfdw_current_column = NULL;
	ExecClearTuple(slot);
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	foreach(lc, columns)
	{
		CtColumn   *col = lfirst(lc);
		int			i = col->attnum - 1;
		const char *text = NULL;
		char	   *own = NULL;
		TimestampTz ts;

		if (!bms_is_member(col->attnum, needed))
			continue;
		switch (col->kind)
		{
			case CT_COL_RECORD:
				if (index->nul_escape && ct_span_has_nul_escape(rec, len))
				{
					ctfdw_current_column = col;
					return "the record holds \\u0000, which jsonb cannot hold";
				}
				text = own = pnstrdup(rec, len);
				break;
			case CT_COL_LOG_FILE:
				text = log_file;
				break;
			case CT_COL_USERNAME:
				text = ct_rec_username(index, scratch);
				break;
			case CT_COL_RESOURCE_TYPES:
			case CT_COL_RESOURCE_NAMES:
				if (col->typid != TEXTARRAYOID)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
							 errmsg("column \"%s\" must be of type text[]", col->name)));
				ctfdw_current_column = col;
				slot->tts_values[i] = resource_array(api_resources, col->kind == CT_COL_RESOURCE_TYPES ?
													 "ResourceType" : "ResourceName", &why);
				if (why)
					return why;
				ctfdw_current_column = NULL;
				slot->tts_isnull[i] = false;
				continue;
			case CT_COL_PATH:
				if ((why = path_text(col, index, scratch, &text)) != NULL)
				{
					ctfdw_current_column = col;
					return why;
				}
				break;
		}
		if (text == NULL)
			continue;
		ctfdw_current_column = col;

		/*
		 * The record was checked whole.  log_file needs no check: it is the
		 * bucket or directory option (text of this database already) and a
		 * key that passed the key-name check (ASCII).  Other encodings need
		 * the conversion.
		 */
		if (col->kind != CT_COL_LOG_FILE && db_encoding != PG_UTF8)
		{
			const char *ok = server_text(text, strlen(text), &why);

			if (ok == NULL)
				return why;
			text = ok;
		}
		if (col->typid == TIMESTAMPTZOID && ctfdw_cloudtrail_time(text, &ts))
			slot->tts_values[i] = TimestampTzGetDatum(ts);
		else
			slot->tts_values[i] = InputFunctionCall(&col->infunc, (char *) text,
													col->typioparam, col->typmod);
		slot->tts_isnull[i] = false;
		ctfdw_current_column = NULL;
		if (own)
			pfree(own);
	}
	ExecStoreVirtualTuple(slot);
	return NULL;
}

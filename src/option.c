/*-------------------------------------------------------------------------
 *
 * option.c
 *		Options of cloudtrail_fdw's server, user mapping, table and column
 *		objects: validation at CREATE/ALTER time, and merged typed getters.
 *
 * One table lists every option with the object it belongs to and how to
 * check its value.  An unknown option is rejected with the closest valid
 * name as a hint; an option given to the wrong object (a secret in the
 * server, say) is rejected with a hint naming the right one.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/option.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <math.h>

#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/varlena.h"

#include "cloudtrail_fdw.h"
#include "source.h"

typedef enum OptKind
{
	OPT_STRING,
	OPT_BOOL,
	OPT_INT,
	OPT_REGION,
	OPT_REGIONS,
	OPT_ACCOUNTS,
	OPT_URL,
	OPT_INTERVAL,
	OPT_ENUM,
	OPT_BUCKET,
	OPT_ORG,
	OPT_PATH,
	OPT_ROLE,
	OPT_SESSION,
	OPT_SIZE,
	OPT_SOURCE
} OptKind;

#define OPT_SUPERUSER	0x01	/* only a superuser may set it */
#define OPT_SECRET		0x02	/* never shown; user mappings only */

typedef struct CtOption
{
	const char *name;
	Oid			context;		/* catalog of the object it belongs to */
	OptKind		kind;
	int			flags;
	const char *choices;		/* OPT_ENUM: "a|b|c" */
	int			min;			/* OPT_INT */
	int			max;
	const char *applies;		/* table options: the sources or kinds of
								 * table it is for ("trail", "history", or
								 * source names); NULL: every table */
} CtOption;

static const CtOption ct_options[] = {
	/* server: where AWS is and how to talk to it */
	{"region", ForeignServerRelationId, OPT_REGION},
	{"endpoint", ForeignServerRelationId, OPT_URL, OPT_SUPERUSER},
	{"s3_endpoint", ForeignServerRelationId, OPT_URL, OPT_SUPERUSER},
	{"addressing", ForeignServerRelationId, OPT_ENUM, 0, "auto|virtual|path"},
	{"verify_tls", ForeignServerRelationId, OPT_BOOL},
	{"ca_file", ForeignServerRelationId, OPT_STRING, OPT_SUPERUSER},
	{"connect_timeout", ForeignServerRelationId, OPT_INT, 0, NULL, 1, 3600},
	{"request_timeout", ForeignServerRelationId, OPT_INT, 0, NULL, 1, 86400},
	{"max_retries", ForeignServerRelationId, OPT_INT, 0, NULL, 0, 50},
	{"sts_endpoint", ForeignServerRelationId, OPT_URL, OPT_SUPERUSER},
	{"use_fips_endpoint", ForeignServerRelationId, OPT_BOOL},
	{"use_dualstack_endpoint", ForeignServerRelationId, OPT_BOOL},
	{"role_arn", ForeignServerRelationId, OPT_ROLE},

	/* user mapping: credentials */
	{"access_key_id", UserMappingRelationId, OPT_STRING, OPT_SECRET},
	{"secret_access_key", UserMappingRelationId, OPT_STRING, OPT_SECRET},
	{"session_token", UserMappingRelationId, OPT_STRING, OPT_SECRET},
	{"credential_source", UserMappingRelationId, OPT_ENUM, OPT_SUPERUSER, "default"},
	{"profile", UserMappingRelationId, OPT_STRING, OPT_SUPERUSER},
	{"credential_process", UserMappingRelationId, OPT_STRING, OPT_SUPERUSER},
	{"role_arn", UserMappingRelationId, OPT_ROLE},
	{"external_id", UserMappingRelationId, OPT_STRING},
	{"role_session_name", UserMappingRelationId, OPT_SESSION},
	{"duration", UserMappingRelationId, OPT_INT, 0, NULL, 900, 43200},

	/* foreign table */
#define TABLE(name, kind, applies) {name, ForeignTableRelationId, kind, 0, NULL, 0, 0, applies}
	TABLE("source", OPT_SOURCE, NULL),
	TABLE("bucket", OPT_BUCKET, "s3"),
	{"directory", ForeignTableRelationId, OPT_STRING, OPT_SUPERUSER, NULL, 0, 0, "directory"},
	TABLE("prefix", OPT_STRING, "trail"),
	TABLE("organization_id", OPT_ORG, "trail"),
	TABLE("account_ids", OPT_ACCOUNTS, "trail"),
	TABLE("regions", OPT_REGIONS, NULL),
	{"event_files", ForeignTableRelationId, OPT_ENUM, 0, "log|insight", 0, 0, "trail"},
	TABLE("max_delivery_delay", OPT_INTERVAL, "trail"),
	{"max_concurrency", ForeignTableRelationId, OPT_INT, 0, NULL, 1, 256, "trail"},
	{"on_error", ForeignTableRelationId, OPT_ENUM, 0, "error|skip", 0, 0, "trail"},
	{"event_category", ForeignTableRelationId, OPT_ENUM, 0, "management|insight", 0, 0, "history"},
	TABLE("lookup_max_wait", OPT_INTERVAL, "history"),
	TABLE("max_object_size", OPT_SIZE, "trail"),
#undef TABLE

	/* column */
	{"path", AttributeRelationId, OPT_PATH},
	{NULL}
};

static const char *
context_name(Oid context)
{
	switch (context)
	{
		case ForeignDataWrapperRelationId:
			return "foreign-data wrapper";
		case ForeignServerRelationId:
			return "server";
		case UserMappingRelationId:
			return "user mapping";
		case ForeignTableRelationId:
			return "foreign table";
		case AttributeRelationId:
			return "column";
	}
	return "object";
}

/* The valid option name closest to "name" for this context, or NULL. */
static const char *
closest_option(const char *name, Oid context)
{
	const char *best = NULL;
	int			best_d = INT_MAX;

	for (const CtOption *o = ct_options; o->name; o++)
	{
		int			d;

		if (o->context != context)
			continue;
		d = varstr_levenshtein_less_equal(name, strlen(name), o->name, strlen(o->name),
										  1, 1, 1, 4, true);
		if (d < best_d)
		{
			best_d = d;
			best = o->name;
		}
	}
	/* a suggestion far from what was typed is noise */
	return best_d <= Max(2, (int) strlen(name) / 3) ? best : NULL;
}

bool
ctfdw_valid_region(const char *s)
{
	/* like us-east-1, eu-central-2, us-gov-west-1, cn-north-1, ap-southeast-4 */
	int			parts = 0;
	const char *p = s;

	if (!*s || strlen(s) > 30)
		return false;
	while (*p)
	{
		const char *start = p;

		while (islower((unsigned char) *p))
			p++;
		if (p == start)
			break;
		parts++;
		if (*p != '-')
			return false;
		p++;
	}
	if (parts < 2 || !isdigit((unsigned char) *p))
		return false;
	while (isdigit((unsigned char) *p))
		p++;
	return *p == '\0';
}

bool
ctfdw_valid_account(const char *s)
{
	int			n = 0;

	for (; *s; s++, n++)
		if (!isdigit((unsigned char) *s))
			return false;
	return n == 12;
}

/* Split "a, b,c" into a List of trimmed strings. */
List *
ctfdw_split_list(const char *value)
{
	List	   *out = NIL;
	char	   *copy = pstrdup(value);
	char	   *tok;
	char	   *save;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
	{
		char	   *e;

		while (isspace((unsigned char) *tok))
			tok++;
		e = tok + strlen(tok);
		while (e > tok && isspace((unsigned char) e[-1]))
			*--e = '\0';
		if (*tok)
			out = lappend(out, pstrdup(tok));
	}
	return out;
}

/*
 * A size: an integer of bytes, or with a unit kB, MB, GB or TB (1024 each,
 * as in postgresql.conf), from 1 kB to 1 TB.
 */
static int64
size_bytes(const char *name, const char *value)
{
	static const char *const units[] = {"kB", "MB", "GB", "TB"};
	char	   *end;
	double		n;
	double		mult = 1;

	errno = 0;
	n = strtod(value, &end);
	while (*end == ' ')
		end++;
	for (int i = 0; *end && i < lengthof(units); i++)
		if (pg_strcasecmp(end, units[i]) == 0)
		{
			mult = pow(1024.0, i + 1);
			end += 2;
		}
	n *= mult;
	if (end == value || *end != '\0' || errno != 0 || isnan(n) || n < 1024 ||
		n > pow(1024.0, 4))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("Give a size from 1kB to 1TB, such as '1GB' or '500MB'.")));
	return (int64) n;
}

static int64
interval_usecs(const char *name, const char *value)
{
	Interval   *volatile iv = NULL;
	MemoryContext cxt = CurrentMemoryContext;

	/* interval_in's own error would not say which option was wrong */
	PG_TRY();
	{
		iv = DatumGetIntervalP(DirectFunctionCall3(interval_in, CStringGetDatum(value),
												   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1)));
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		if (edata->sqlerrcode != ERRCODE_INVALID_DATETIME_FORMAT &&
			edata->sqlerrcode != ERRCODE_DATETIME_VALUE_OUT_OF_RANGE &&
			edata->sqlerrcode != ERRCODE_INTERVAL_FIELD_OVERFLOW)
			PG_RE_THROW();
		FlushErrorState();
		iv = NULL;
	}
	PG_END_TRY();
	if (iv == NULL || iv->month != 0 || iv->day < 0 || iv->time < 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
				 errhint("Give a non-negative interval in days, hours or minutes, such as '6 hours'.")));
	return (int64) iv->day * USECS_PER_DAY + iv->time;
}

static void
bad_value(const char *name, const char *value, const char *hint)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, value),
			 hint ? errhint("%s", hint) : 0));
}

/* A comma-separated list, each element checked by valid(). */
static void
check_list(const char *name, const char *value, bool (*valid) (const char *),
		   const char *what, const char *hint)
{
	List	   *l = ctfdw_split_list(value);
	ListCell   *lc;

	if (l == NIL)
		bad_value(name, value, hint);
	foreach(lc, l)
		if (!valid(lfirst(lc)))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid %s \"%s\" in option \"%s\"", what, (char *) lfirst(lc), name),
					 errhint("%s", hint)));
}

/*
 * Every value may end up in an HTTP request line or header (keys, token,
 * endpoints, region, bucket, prefix, role ...), a file name or a command:
 * none may hold a control character.  CR and LF in a header would add
 * headers, or a whole second request, of the user's choosing.  The value
 * itself is not shown: it may be a secret.
 */
static void
check_no_control(const CtOption *o, const char *v)
{
	for (const unsigned char *p = (const unsigned char *) v; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("invalid value for option \"%s\"", o->name),
					 errdetail("The value holds a control character (such as a carriage return or line feed)."),
					 errhint("Option values go into HTTP requests, where such characters are not allowed.")));
}

/* v must be one of choices, "a|b|c" */
static void
check_choice(const char *name, const char *choices, const char *v)
{
	char	   *c = pstrdup(choices);
	char	   *save;
	StringInfoData s;

	for (char *t = strtok_r(c, "|", &save); t; t = strtok_r(NULL, "|", &save))
		if (strcmp(t, v) == 0)
			return;
	initStringInfo(&s);
	for (const char *p = choices; *p; p++)
	{
		if (p == choices)
			appendStringInfoChar(&s, '\'');
		if (*p == '|')
			appendStringInfoString(&s, "', '");
		else
			appendStringInfoChar(&s, *p);
	}
	appendStringInfoChar(&s, '\'');
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"%s\": \"%s\"", name, v),
			 errhint("Valid values are %s.", s.data)));
}

static bool
valid_bucket(const char *v)
{
	size_t		n = strlen(v);
	bool		ok = n >= 3 && n <= 63;

	for (const char *p = v; *p && ok; p++)
		ok = islower((unsigned char) *p) || isdigit((unsigned char) *p) || *p == '-' || *p == '.';
	return ok;
}

static bool
valid_org(const char *v)
{
	bool		ok = strncmp(v, "o-", 2) == 0 && strlen(v) >= 12 && strlen(v) <= 34;

	for (const char *p = v + 2; *p && ok; p++)
		ok = islower((unsigned char) *p) || isdigit((unsigned char) *p);
	return ok;
}

/* arn:<partition>:iam::<12 digits>:role/<name> */
static bool
valid_role_arn(const char *v)
{
	const char *r = strstr(v, ":iam::");
	bool		ok = strncmp(v, "arn:aws", 7) == 0 && r && strlen(r) > 19 &&
		strncmp(r + 18, ":role/", 6) == 0 && r[24] != '\0';

	for (int i = 6; ok && i < 18; i++)
		ok = isdigit((unsigned char) r[i]);
	return ok;
}

static bool
valid_session_name(const char *v)
{
	size_t		n = strlen(v);
	bool		ok = n >= 2 && n <= 64;

	for (const char *c = v; *c && ok; c++)
		ok = isalnum((unsigned char) *c) || strchr("_+=,.@-", *c) != NULL;
	return ok;
}

static void
check_value(const CtOption *o, DefElem *def)
{
	const char *v = defGetString(def);

	check_no_control(o, v);
	switch (o->kind)
	{
		case OPT_STRING:
			if (*v == '\0')
				bad_value(o->name, v, "The value must not be empty.");
			break;
		case OPT_BOOL:
			(void) defGetBoolean(def);
			break;
		case OPT_INT:
			{
				int			n;

				if (!parse_int(v, &n, 0, NULL) || n < o->min || n > o->max)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"%s\": \"%s\"", o->name, v),
							 errhint("Give an integer from %d to %d.", o->min, o->max)));
				break;
			}
		case OPT_REGION:
			if (!ctfdw_valid_region(v))
				bad_value(o->name, v, "Give an AWS region name such as 'us-east-1'.");
			break;
		case OPT_REGIONS:
			check_list(o->name, v, ctfdw_valid_region, "region",
					   "Give AWS region names such as 'us-east-1,eu-west-1'.");
			break;
		case OPT_ACCOUNTS:
			check_list(o->name, v, ctfdw_valid_account, "account ID",
					   "AWS account IDs are 12 digits.");
			break;
		case OPT_URL:
			if ((strncmp(v, "https://", 8) != 0 && strncmp(v, "http://", 7) != 0) || strchr(v, ' '))
				bad_value(o->name, v, "Give a URL starting with https:// (or http:// for a local endpoint).");
			break;
		case OPT_INTERVAL:
			(void) interval_usecs(o->name, v);
			break;
		case OPT_ENUM:
			check_choice(o->name, o->choices, v);
			break;
		case OPT_SOURCE:
			{
				StringInfoData names;

				initStringInfo(&names);
				for (int i = 0; ctfdw_sources[i]; i++)
					if (ctfdw_sources[i]->name)
						appendStringInfo(&names, "%s%s", names.len ? "|" : "", ctfdw_sources[i]->name);
				check_choice(o->name, names.data, v);
				break;
			}
		case OPT_BUCKET:
			if (!valid_bucket(v))
				bad_value(o->name, v, "S3 bucket names are 3 to 63 lowercase letters, digits, dots and hyphens; give the name only, not an s3:// URL.");
			break;
		case OPT_ORG:
			if (!valid_org(v))
				bad_value(o->name, v, "Organization IDs look like 'o-' followed by 10 to 32 lowercase letters or digits.");
			break;
		case OPT_ROLE:
			if (!valid_role_arn(v))
				bad_value(o->name, v, "Give a role ARN such as 'arn:aws:iam::111122223333:role/cloudtrail-reader'.");
			break;
		case OPT_SESSION:
			if (!valid_session_name(v))
				bad_value(o->name, v, "Role session names are 2 to 64 letters, digits and _+=,.@- characters.");
			break;
		case OPT_SIZE:
			(void) size_bytes(o->name, v);
			break;
		case OPT_PATH:
			if (*v == '\0' || *v == '.' || v[strlen(v) - 1] == '.' || strstr(v, ".."))
				bad_value(o->name, v, "Give dot-separated JSON member names, such as 'userIdentity.sessionContext.sessionIssuer.arn'.");
			break;
	}
}

static bool list_member_str_opt(List *options, const char *name);

/* Is table option o one for tables of source src? */
static bool
option_applies(const CtOption *o, const CtSourceRoutine *src)
{
	char	   *list,
			   *save;

	if (o->applies == NULL)
		return true;
	list = pstrdup(o->applies);
	for (char *t = strtok_r(list, " ", &save); t; t = strtok_r(NULL, " ", &save))
		if ((strcmp(t, "trail") == 0 && src->kind == CT_TABLE_TRAIL) ||
			(strcmp(t, "history") == 0 && src->kind == CT_TABLE_HISTORY) ||
			(src->name && strcmp(t, src->name) == 0) ||
			(src->selected_by && strcmp(t, src->selected_by) == 0))
			return true;
	return false;
}

static const CtOption *
table_option(const char *name)
{
	for (const CtOption *o = ct_options; o->name; o++)
		if (o->context == ForeignTableRelationId && strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* Is name a table option for source src?  (unknown: what the caller says) */
bool
ctfdw_table_option_applies(const char *name, const CtSourceRoutine *src, bool unknown)
{
	const CtOption *o = table_option(name);

	return o ? option_applies(o, src) : unknown;
}

/* The tables an option is for, in words. */
static const char *
applies_text(const char *applies)
{
	if (strcmp(applies, "trail") == 0)
		return "trail tables";
	if (strcmp(applies, "history") == 0)
		return "event-history tables (source 'lookup_events')";
	for (int i = 0; ctfdw_sources[i]; i++)
		if (ctfdw_sources[i]->selected_by && strcmp(ctfdw_sources[i]->selected_by, applies) == 0)
			return psprintf("tables with option \"%s\"", applies);
	return psprintf("tables of source '%s'", applies);
}

/* A foreign table's options: one source, and only options that are for it. */
static void
check_table_options(List *options, const char *source)
{
	const CtSourceRoutine *src = ctfdw_source_for(options);
	ListCell   *lc;

	if (list_member_str_opt(options, "bucket") && list_member_str_opt(options, "directory"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"bucket\" and \"directory\" cannot be used together")));
	if (source && src->selected_by && (!src->name || strcmp(src->name, source) != 0))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" does not apply to source '%s'", src->selected_by, source),
				 errhint("A table with option \"%s\" reads a local copy of a trail; leave out option \"source\".",
						 src->selected_by)));
	if (src == &ctfdw_s3_source && !list_member_str_opt(options, "bucket"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("a cloudtrail_fdw foreign table needs option \"bucket\", option \"directory\", or source 'lookup_events'")));
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const CtOption *o = table_option(def->defname);

		if (o && !option_applies(o, src))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("option \"%s\" does not apply to %s", def->defname, src->description),
					 errhint("Option \"%s\" is for %s.", def->defname, applies_text(o->applies))));
	}
}

/*
 * The option "name" of a catalog's objects.  An unknown one is an error
 * with the closest valid name as a hint; one of another object (a secret
 * in the server, say) an error naming the right one.
 */
static const CtOption *
find_option(DefElem *def, Oid catalog)
{
	const CtOption *o;
	const CtOption *elsewhere = NULL;
	const char *hint_name;

	for (o = ct_options; o->name; o++)
		if (strcmp(o->name, def->defname) == 0)
		{
			if (o->context == catalog)
				return o;
			elsewhere = o;
		}
	hint_name = closest_option(def->defname, catalog);

	if (elsewhere && (elsewhere->flags & OPT_SECRET))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" is not allowed for a %s", def->defname,
						context_name(catalog)),
				 errhint("Credentials belong in a user mapping: CREATE USER MAPPING FOR CURRENT_USER SERVER ... OPTIONS (access_key_id '...', secret_access_key '...').")));
	if (elsewhere)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"%s\" is not valid for a %s", def->defname,
						context_name(catalog)),
				 errhint("Option \"%s\" belongs to the %s.", def->defname,
						 context_name(elsewhere->context))));
	if (catalog == ForeignDataWrapperRelationId)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("invalid option \"%s\"", def->defname),
				 errhint("The cloudtrail_fdw foreign-data wrapper takes no options; set them on the server, user mapping or foreign table.")));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			 errmsg("invalid option \"%s\"", def->defname),
			 hint_name ? errhint("Perhaps you meant the option \"%s\".", hint_name) :
			 errhint("See the README for the options of a %s.", context_name(catalog))));
	return NULL;				/* keep the compiler quiet */
}

/* A user mapping takes one source of credentials, keys in pairs. */
static void
check_user_mapping(List *options)
{
	bool		has_access = list_member_str_opt(options, "access_key_id");
	bool		has_secret = list_member_str_opt(options, "secret_access_key");
	bool		has_token = list_member_str_opt(options, "session_token");
	const char *sources[] = {"access_key_id", "credential_source", "profile", "credential_process"};
	const char *first = NULL;

	if (has_access != has_secret)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("options \"access_key_id\" and \"secret_access_key\" must be given together")));
	for (int i = 0; i < lengthof(sources); i++)
	{
		if (!list_member_str_opt(options, sources[i]))
			continue;
		if (first)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("options \"%s\" and \"%s\" cannot be used together", first, sources[i]),
					 errhint("A user mapping takes one source of credentials: keys, credential_source, profile or credential_process.")));
		first = sources[i];
	}
	if (has_token && !has_access)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"session_token\" needs \"access_key_id\" and \"secret_access_key\"")));
}

PG_FUNCTION_INFO_V1(cloudtrail_fdw_validator);

/*
 * Validate the generic options of a cloudtrail_fdw object.  Called at
 * CREATE and ALTER with the object's complete new option list.
 */
Datum
cloudtrail_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	ListCell   *lc;
	List	   *seen = NIL;
	char	   *source = NULL;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);
		const CtOption *o = find_option(def, catalog);

		if (list_member(seen, makeString(def->defname)))
			ereport(ERROR,
					(errcode(ERRCODE_SYNTAX_ERROR),
					 errmsg("conflicting or redundant options"),
					 errdetail("Option \"%s\" is given more than once.", def->defname)));
		seen = lappend(seen, makeString(def->defname));

		if ((o->flags & OPT_SUPERUSER) && !superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only superuser can set option \"%s\"", o->name),
					 o->context == UserMappingRelationId ?
					 errhint("The option lends the database server's own AWS identity; give access_key_id and secret_access_key instead.") :
					 errhint("The option makes the database server reach places or files of its own choosing.")));
		check_value(o, def);

		if (strcmp(o->name, "verify_tls") == 0 && !defGetBoolean(def) && !superuser())
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("only superuser can turn off TLS verification")));
		if (strcmp(o->name, "source") == 0)
			source = defGetString(def);
	}
	if (catalog == ForeignTableRelationId)
		check_table_options(options, source);
	if (catalog == UserMappingRelationId)
		check_user_mapping(options);
	PG_RETURN_VOID();
}

static bool
list_member_str_opt(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
		if (strcmp(((DefElem *) lfirst(lc))->defname, name) == 0)
			return true;
	return false;
}

/* A server or user mapping option into opts; false if it is not one. */
static bool
set_connection_option(CtFdwOptions *opts, DefElem *def)
{
	const char *n = def->defname;

	if (strcmp(n, "region") == 0)
		opts->region = defGetString(def);
	else if (strcmp(n, "endpoint") == 0)
		opts->endpoint = defGetString(def);
	else if (strcmp(n, "s3_endpoint") == 0)
		opts->s3_endpoint = defGetString(def);
	else if (strcmp(n, "addressing") == 0)
		opts->addressing = defGetString(def);
	else if (strcmp(n, "verify_tls") == 0)
		opts->verify_tls = defGetBoolean(def);
	else if (strcmp(n, "ca_file") == 0)
		opts->ca_file = defGetString(def);
	else if (strcmp(n, "connect_timeout") == 0)
		opts->connect_timeout_ms = atoi(defGetString(def)) * 1000;
	else if (strcmp(n, "request_timeout") == 0)
		opts->request_timeout_s = atoi(defGetString(def));
	else if (strcmp(n, "max_retries") == 0)
		opts->max_retries = atoi(defGetString(def));
	else if (strcmp(n, "access_key_id") == 0)
		opts->access_key_id = defGetString(def);
	else if (strcmp(n, "secret_access_key") == 0)
		opts->secret_access_key = defGetString(def);
	else if (strcmp(n, "session_token") == 0)
		opts->session_token = defGetString(def);
	else if (strcmp(n, "role_arn") == 0)
		opts->role_arn = defGetString(def);
	else if (strcmp(n, "credential_source") == 0)
		opts->default_chain = true;
	else if (strcmp(n, "profile") == 0)
		opts->profile = defGetString(def);
	else if (strcmp(n, "credential_process") == 0)
		opts->credential_process = defGetString(def);
	else if (strcmp(n, "use_fips_endpoint") == 0)
		opts->use_fips = defGetBoolean(def);
	else if (strcmp(n, "use_dualstack_endpoint") == 0)
		opts->use_dualstack = defGetBoolean(def);
	else if (strcmp(n, "external_id") == 0)
		opts->external_id = defGetString(def);
	else if (strcmp(n, "role_session_name") == 0)
		opts->role_session_name = defGetString(def);
	else if (strcmp(n, "duration") == 0)
		opts->duration = atoi(defGetString(def));
	else if (strcmp(n, "sts_endpoint") == 0)
		opts->sts_endpoint = defGetString(def);
	else
		return false;
	return true;
}

/* A table option into opts. */
static void
set_table_option(CtFdwOptions *opts, DefElem *def)
{
	const char *n = def->defname;

	if (strcmp(n, "bucket") == 0)
		opts->bucket = defGetString(def);
	else if (strcmp(n, "directory") == 0)
		opts->directory = defGetString(def);
	else if (strcmp(n, "prefix") == 0)
		opts->prefix = defGetString(def);
	else if (strcmp(n, "organization_id") == 0)
		opts->organization_id = defGetString(def);
	else if (strcmp(n, "account_ids") == 0)
		opts->account_ids = ctfdw_split_list(defGetString(def));
	else if (strcmp(n, "regions") == 0)
		opts->regions = ctfdw_split_list(defGetString(def));
	else if (strcmp(n, "event_files") == 0)
		opts->insight = strcmp(defGetString(def), "insight") == 0;
	else if (strcmp(n, "max_delivery_delay") == 0)
		opts->max_delivery_delay = interval_usecs(n, defGetString(def));
	else if (strcmp(n, "max_concurrency") == 0)
		opts->max_concurrency = atoi(defGetString(def));
	else if (strcmp(n, "on_error") == 0)
		opts->on_error_skip = strcmp(defGetString(def), "skip") == 0;
	else if (strcmp(n, "event_category") == 0)
		opts->insight = strcmp(defGetString(def), "insight") == 0;
	else if (strcmp(n, "lookup_max_wait") == 0)
		opts->lookup_max_wait = interval_usecs(n, defGetString(def));
	else if (strcmp(n, "max_object_size") == 0)
		opts->max_object_size = size_bytes(n, defGetString(def));
}

/*
 * Merge server, user mapping and table options into *opts, with defaults.
 * Credentials are read only when asked for (at executor start), so that
 * planning and EXPLAIN never touch them.
 */
static void merge_options(ForeignServer *server, List *table_options, Oid userid,
						  bool with_credentials, CtFdwOptions *opts);

void
ctfdw_get_options(Oid foreigntableid, Oid userid, bool with_credentials,
				  CtFdwOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);

	merge_options(GetForeignServer(table->serverid), table->options, userid, with_credentials, opts);
}

/*
 * The options of a server and the user's mapping, for calls that belong to
 * no table (IMPORT FOREIGN SCHEMA's DescribeTrails).
 */
void
ctfdw_get_server_options(Oid serverid, Oid userid, CtFdwOptions *opts)
{
	merge_options(GetForeignServer(serverid), NIL, userid, true, opts);
}

static void
merge_options(ForeignServer *server, List *table_options, Oid userid, bool with_credentials,
			  CtFdwOptions *opts)
{
	List	   *options = NIL;
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->region = "us-east-1";
	opts->addressing = "auto";
	opts->verify_tls = true;
	opts->connect_timeout_ms = 10 * 1000;
	opts->request_timeout_s = 60;
	opts->max_retries = 5;
	opts->max_delivery_delay = 6 * USECS_PER_HOUR;
	opts->max_concurrency = 64;
	opts->lookup_max_wait = 60 * USECS_PER_SEC;
	opts->max_object_size = INT64CONST(1024) * 1024 * 1024;
	opts->role_session_name = "cloudtrail_fdw";
	opts->duration = 3600;

	options = list_concat(options, server->options);
	options = list_concat(options, table_options);
	opts->source = ctfdw_source_for(table_options);
	if (with_credentials && opts->source->network)
	{
		UserMapping *um = GetUserMapping(userid, server->serverid);

		options = list_concat(options, um->options);
	}
	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (!set_connection_option(opts, def))
			set_table_option(opts, def);
	}
}

/*
 * The URL a service is reached at in a region: the endpoint option if the
 * server has one, else the partition's host (FIPS, dual-stack as asked).
 */
char *
ctfdw_endpoint(CtFdwOptions *o, CtService service, const char *region)
{
	const char *given = service == CT_SERVICE_S3 ? o->s3_endpoint :
		service == CT_SERVICE_STS ? o->sts_endpoint : o->endpoint;
	char	   *url,
			   *copy;

	if (given)
		return pstrdup(given);
	url = ct_service_url(service, region, o->use_fips, o->use_dualstack);
	if (!url)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	copy = pstrdup(url);
	free(url);
	return copy;
}

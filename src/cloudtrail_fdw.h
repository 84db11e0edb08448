/*-------------------------------------------------------------------------
 *
 * cloudtrail_fdw.h
 *		Declarations shared by the PostgreSQL side of cloudtrail_fdw.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/cloudtrail_fdw.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CLOUDTRAIL_FDW_H
#define CLOUDTRAIL_FDW_H

#include "postgres.h"

#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "utils/timestamp.h"

#include "ct_config.h"
#include "ct_recscan.h"
#include "ct_sigv4.h"

/* The kinds of table: which columns and pruning conditions apply. */
typedef enum CtTableKind
{
	CT_TABLE_TRAIL,				/* log files: log_file, folders, delivery stamps */
	CT_TABLE_HISTORY			/* an event API: resource columns, attributes */
} CtTableKind;

struct CtSourceRoutine;			/* source.h */

/* Every option of the server, user mapping and table, merged. */
typedef struct CtFdwOptions
{
	/* server */
	char	   *region;
	char	   *s3_endpoint;	/* NULL: the partition's public endpoint */
	char	   *endpoint;		/* CloudTrail API endpoint */
	char	   *addressing;		/* "auto", "virtual", "path" */
	bool		verify_tls;
	char	   *ca_file;
	int			connect_timeout_ms;
	int			request_timeout_s;
	int			max_retries;
	bool		use_fips;		/* FIPS endpoint hosts */
	bool		use_dualstack;	/* dual-stack (IPv6) endpoint hosts */

	/* user mapping (credentials) */
	char	   *access_key_id;
	char	   *secret_access_key;
	char	   *session_token;
	bool		default_chain;	/* credential_source 'default' */
	char	   *profile;		/* from the server's shared AWS files */
	char	   *credential_process; /* a command printing credentials */
	char	   *role_arn;		/* assume this role with the keys above */
	char	   *external_id;
	char	   *role_session_name;
	int			duration;		/* seconds the assumed credentials last */
	char	   *sts_endpoint;

	/* table */
	const struct CtSourceRoutine *source;
	char	   *bucket;
	char	   *directory;
	char	   *prefix;
	char	   *organization_id;
	List	   *account_ids;	/* of char *; NIL: discover */
	List	   *regions;		/* of char *; NIL: discover */
	bool		insight;		/* event_files 'insight' */
	int64		max_delivery_delay; /* microseconds */
	int			max_concurrency;
	bool		on_error_skip;
	int64		lookup_max_wait;	/* microseconds of throttling to ride out */
	int64		max_object_size;	/* inflated bytes one log file may have */
} CtFdwOptions;

/* in option.c */
extern void ctfdw_get_options(Oid foreigntableid, Oid userid, bool with_credentials,
							  CtFdwOptions *opts);
extern void ctfdw_get_server_options(Oid serverid, Oid userid, CtFdwOptions *opts);
extern List *ctfdw_split_list(const char *value);
extern bool ctfdw_valid_region(const char *s);
extern char *ctfdw_endpoint(CtFdwOptions *o, CtService service, const char *region);
extern bool ctfdw_valid_account(const char *s);
extern bool ctfdw_table_option_applies(const char *name, const struct CtSourceRoutine *src,
									   bool unknown);

/* Columns the FDW knows how to fill. */
typedef enum CtColumnKind
{
	CT_COL_PATH,				/* a JSON path into the record */
	CT_COL_USERNAME,			/* derived from userIdentity */
	CT_COL_RECORD,				/* the whole record */
	CT_COL_LOG_FILE,			/* s3://bucket/key of the object */
	CT_COL_RESOURCE_TYPES,		/* LookupEvents' Resources[].ResourceType */
	CT_COL_RESOURCE_NAMES		/* LookupEvents' Resources[].ResourceName */
} CtColumnKind;

typedef struct CtColumn
{
	AttrNumber	attnum;
	char	   *name;
	CtColumnKind kind;
	char	  **path;			/* CT_COL_PATH: segments */
	int			npath;
	Oid			typid;
	bool		json_out;		/* json/jsonb: feed JSON text, not the string */
	FmgrInfo	infunc;
	Oid			typioparam;
	int32		typmod;
} CtColumn;

/* in tuple.c */
extern const char *ctfdw_standard_path(const char *column);
extern const char *ctfdw_closest_column(const char *name);
extern const char *ctfdw_standard_column(int i, CtTableKind kind, const char **type);
extern const CtColumn *ctfdw_current_column;
extern List *ctfdw_columns(Relation rel, CtTableKind kind);
extern void ctfdw_prepare_columns(List *columns);
extern const char *ctfdw_build_tuple(List *columns, TupleTableSlot *slot, Bitmapset *needed,
									const char *rec, size_t len, const CtRecIndex *index,
									const char *log_file, void *api_resources, CtBuf *scratch);

/* in prune.c: what the WHERE clause allows us to skip */
/* LookupEvents attributes, most selective first */
#define CT_NUM_ATTRS 8
#define CT_ATTR_EVENT_ID 0
#define CT_ATTR_ACCESS_KEY_ID 1
#define CT_ATTR_RESOURCE_NAME 2
#define CT_ATTR_USERNAME 3
#define CT_ATTR_EVENT_NAME 4
#define CT_ATTR_RESOURCE_TYPE 5
#define CT_ATTR_EVENT_SOURCE 6
#define CT_ATTR_READ_ONLY 7
extern const char *const ctfdw_attr_keys[CT_NUM_ATTRS];

/* The order of a scan's rows: as read, or by event_time (a plan's pathkey). */
typedef enum CtScanOrder
{
	CT_ORDER_NONE,
	CT_ORDER_ASC,				/* oldest first */
	CT_ORDER_DESC				/* newest first */
} CtScanOrder;

typedef struct CtWindow
{
	bool		has_lower;
	bool		has_upper;
	TimestampTz lower;			/* inclusive */
	TimestampTz upper;			/* inclusive */
	bool		empty;			/* contradictory bounds */
	List	   *accounts;		/* to read, if accounts_listed; else discover */
	List	   *regions;		/* to read, if regions_listed; else discover */
	bool		accounts_listed;	/* by WHERE or account_ids */
	bool		regions_listed; /* by WHERE or regions */
	bool		accounts_pushed;	/* the WHERE clause names accounts */
	bool		regions_pushed;
	List	   *attr_values[CT_NUM_ATTRS];	/* LookupEvents attribute values */
	bool		attr_pushed[CT_NUM_ATTRS];
	bool		attr_unsendable[CT_NUM_ATTRS];	/* a value LookupEvents refuses */
	CtScanOrder order;			/* trail tables: how the plan wants the rows */
} CtWindow;

extern void ctfdw_classify_quals(PlannerInfo *root, Index relid, List *clauses, List *columns,
								 CtTableKind kind, List **fdw_exprs, List **prune_private);
extern bool ctfdw_prune_needs_params(List *fdw_exprs);
extern void ctfdw_prune_time_bounds(List *prune_private, bool *lower, bool *upper);
extern void ctfdw_eval_window(List *prune_private, List *expr_states, ExprContext *econtext,
							  CtFdwOptions *opts, CtWindow *w);

/* in source.c */
extern void *ctfdw_alloc_owned(MemoryContext cxt, Size size, void (*cleanup) (void *obj));

/* in credentials.c */
extern void ctfdw_credentials(CtFdwOptions *o, CtCredentials *out, bool expired, MemoryContext cxt);
extern bool ctfdw_credentials_expired(CtFdwOptions *o, const char *aws_code);

#endif							/* CLOUDTRAIL_FDW_H */

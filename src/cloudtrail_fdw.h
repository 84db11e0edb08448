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
#include "ct_rec.h"
#include "ct_sigv4.h"

typedef enum CtSource
{
	CT_SOURCE_S3,
	CT_SOURCE_DIRECTORY,
	CT_SOURCE_LOOKUP
} CtSource;

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
	CtSource	source;
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
extern List *ctfdw_split_list(const char *value);
extern bool ctfdw_valid_region(const char *s);
extern char *ctfdw_endpoint(CtFdwOptions *o, CtService service, const char *region);
extern bool ctfdw_valid_account(const char *s);

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
extern const char *ctfdw_standard_column(int i, bool lookup, const char **type);
extern const CtColumn *ctfdw_current_column;
extern List *ctfdw_columns(Relation rel, bool lookup);
extern void ctfdw_prepare_columns(List *columns);
extern const char *ctfdw_build_tuple(List *columns, TupleTableSlot *slot, Bitmapset *needed,
									const char *rec, size_t len, const CtRecIndex *index,
									const char *log_file, void *api_resources, CtBuf *scratch);

/* in prune.c: what the WHERE clause allows us to skip */
/* LookupEvents attributes, most selective first */
#define CT_NUM_ATTRS 8
#define CT_ATTR_RESOURCE_NAME 2
#define CT_ATTR_RESOURCE_TYPE 5
extern const char *const ctfdw_attr_keys[CT_NUM_ATTRS];

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
} CtWindow;

extern void ctfdw_classify_quals(PlannerInfo *root, Index relid, List *clauses, List *columns,
								 bool lookup, List **fdw_exprs, List **prune_private);
extern bool ctfdw_prune_needs_params(List *fdw_exprs);
extern void ctfdw_eval_window(List *prune_private, List *expr_states, ExprContext *econtext,
							  CtFdwOptions *opts, CtWindow *w);

/* in scan.c */
typedef struct CtScanStats
{
	int64		lists;			/* LIST requests */
	int64		listed;			/* keys seen in listings */
	int64		fetched;		/* objects read */
	int64		skipped_files;	/* objects skipped by on_error 'skip' */
	int64		skipped_records;
	int64		bytes;			/* compressed bytes read */
	int64		requests;
	int64		retries;
	int64		records;
} CtScanStats;

typedef struct CtS3Scan CtS3Scan;
typedef struct CtShared CtShared;

extern CtS3Scan *ctfdw_s3_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt);
extern bool ctfdw_s3_next(CtS3Scan *scan, const char **rec, size_t *len,
						  const char **log_file, int64 *recno);
extern void ctfdw_s3_rescan(CtS3Scan *scan);
extern void ctfdw_s3_end(CtS3Scan *scan);
extern CtScanStats *ctfdw_s3_stats(CtS3Scan *scan);
extern void ctfdw_describe_prefixes(CtFdwOptions *opts, CtWindow *w, List **lines);
extern Size ctfdw_shared_size(void);
extern void ctfdw_shared_init(CtShared *sh);
extern void ctfdw_s3_set_shared(CtS3Scan *scan, CtShared *sh);
extern void ctfdw_shared_set_credentials(CtShared *sh, CtFdwOptions *opts);

extern void ctfdw_fail_request(void *req, const char *what);
extern int64 ctfdw_backoff_ms(int attempt, int64 base, int64 cap);

/* in credentials.c */
extern void ctfdw_credentials(CtFdwOptions *o, CtCredentials *out, bool expired, MemoryContext cxt);
extern bool ctfdw_credentials_expired(CtFdwOptions *o, const char *aws_code);

/* in lookup.c */
typedef struct CtLookupScan CtLookupScan;
typedef struct CtLookupStats
{
	int64		calls;
	int64		pages;
	int64		throttled;
	int64		retries;
	int64		events;
} CtLookupStats;

extern CtLookupScan *ctfdw_lookup_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt);
extern bool ctfdw_lookup_next(CtLookupScan *scan, const char **rec, size_t *len,
							  void **resources);
extern void ctfdw_lookup_rescan(CtLookupScan *scan);
extern void ctfdw_lookup_end(CtLookupScan *scan);
extern CtLookupStats *ctfdw_lookup_stats(CtLookupScan *scan);
extern void ctfdw_lookup_describe(CtFdwOptions *opts, CtWindow *w, List **lines,
								  List **endpoints);

#endif							/* CLOUDTRAIL_FDW_H */

/*-------------------------------------------------------------------------
 *
 * trail.h
 *		The trail scan, shared by its parts: listing and pruning (trail.c),
 *		the fetch engine (fetch.c), parallel coordination (parallel.c) and
 *		the object stores, S3 (store_s3.c) and directories (store_dir.c).
 *
 * A scan works through three kinds of listing stream:
 *
 *	root	  [prefix/]AWSLogs/[org/]   delimiter '/': the account folders
 *	account   .../<acct>/CloudTrail/    delimiter '/': the region folders
 *	files	  .../<acct>/CloudTrail/<region>/ with start-after: the log files
 *
 * A store lists one page of a stream at a time and reads objects; the
 * engine decides what to list and fetch when, and hands out records.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/trail.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CTFDW_TRAIL_H
#define CTFDW_TRAIL_H

#include "cloudtrail_fdw.h"
#include "ct_http.h"
#include "ct_records.h"
#include "ct_s3.h"
#include "session.h"
#include "source.h"
#include "storage/fd.h"

typedef struct CtTrailScan CtTrailScan;
typedef struct CtSyncHook CtSyncHook;
typedef struct CtShared CtShared;
typedef struct CtLane CtLane;
typedef struct CtOrder CtOrder;

/* pages listed at once, whatever max_concurrency is: listings hold 16 MB at most */
#define LISTS_IN_FLIGHT 4

typedef struct CtScanStats
{
	int64		lists;			/* LIST requests (directory: pages) */
	int64		listed;			/* keys seen in listings */
	int64		fetched;		/* objects read */
	int64		skipped_files;	/* objects skipped by on_error 'skip' */
	int64		bytes;			/* compressed bytes read */
	int64		records;
} CtScanStats;

typedef enum StreamKind
{
	STREAM_ROOT,
	STREAM_ACCOUNT,
	STREAM_FILES
} StreamKind;

typedef struct ListStream
{
	StreamKind	kind;
	char	   *prefix;			/* what is listed */
	char	   *account;		/* STREAM_ACCOUNT and STREAM_FILES */
	char	   *region;			/* STREAM_FILES */
	char	   *start_after;
	char	   *token;			/* continuation token of the next page */
	bool		done;
	int64		folders;		/* discovery: folders of the kind looked for */
	CtTry		try;
	CtHttpReq  *req;			/* S3: the page being listed */
	CtLane	   *lane;			/* ordered scan: a files stream's date folders */
	char	   *listing;		/* ordered scan: the folder listed now */
	bool		list_folders;	/* ordered scan: list it with delimiter '/' */
} ListStream;

/* What a store lists for a stream, and whether as folders (delimiter '/'). */
#define ctfdw_list_prefix(st) ((st)->listing ? (st)->listing : (st)->prefix)
#define ctfdw_list_folders(st) ((st)->listing ? (st)->list_folders : (st)->kind != STREAM_FILES)

/* A listed object waiting to be fetched, and the stream that listed it. */
typedef struct QueuedObject
{
	char	   *key;
	ListStream *stream;
} QueuedObject;

typedef struct ObjState
{
	char	   *key;			/* in the scan's context */
	char	   *log_file;		/* s3://bucket/key or the file path */
	CtRecordReader *rr;			/* malloc'd; freed by finish_object or cleanup */
	CtHttpReq  *req;			/* S3: in flight, or NULL */
	File		file;			/* directory: open file (fd.c), or -1 */
	bool		body_done;		/* all bytes are in the reader */
	CtTry		try;
	int64		received;		/* body bytes given to the reader */
	int64		req_offset;		/* first byte the current request asked for */
	char		etag[128];
	int64		recno;			/* records returned so far */
	int64		stamp;			/* ordered scan: the key's delivery stamp */
	struct CtOrderedFile *name_ref;	/* ordered scan: its name, shared by its rows */
} ObjState;

/*
 * An object store: where a trail's keys are listed and its objects read.
 * S3 lists and reads concurrently on the network; a directory does both at
 * once, on the spot.
 */
typedef struct CtStoreRoutine
{
	bool		concurrent;		/* pages and objects arrive on their own */
	void		(*open) (CtTrailScan *s);	/* before the first listing */
	void		(*list) (CtTrailScan *s, ListStream *st);	/* the next page */
	void		(*fetch) (CtTrailScan *s, ObjState *o); /* start reading */
	void		(*feed) (CtTrailScan *s, ObjState *o);	/* the reader wants bytes */
	void		(*wait) (CtTrailScan *s, int timeout_ms);	/* concurrent: progress */
	void		(*release) (ObjState *o);	/* free what the store holds */
	void		(*release_stream) (ListStream *st);
	char	   *(*name) (CtTrailScan *s, const char *key);	/* log_file of a key */
} CtStoreRoutine;

extern const CtStoreRoutine ctfdw_s3_store;
extern const CtStoreRoutine ctfdw_dir_store;

struct CtTrailScan
{
	MemoryContext cxt;
	MemoryContext work_cxt;		/* what one round of network work allocates */
	CtFdwOptions *opts;
	CtWindow   *w;
	const CtStoreRoutine *store;
	bool		bounded_lo;
	bool		bounded_hi;
	int64		stamp_lo;		/* epoch seconds: files stamped before: skip */
	int64		stamp_hi;		/* epoch seconds: files stamped after: stop */

	CtSession  *session;		/* S3 */
	char	   *local_root;		/* directory: its path, symbolic links resolved */

	List	   *streams;		/* of ListStream * */
	QueuedObject *queue;		/* listed, to fetch (parallel: to share) */
	int			qhead;
	int			qtail;
	int			qcap;
	ObjState  **active;			/* objects being read */
	int			nactive;
	ObjState   *current;
	CtScanStats stats;
	bool		started;
	CtShared   *shared;			/* parallel scan state, or NULL */
	bool		lister;			/* parallel: this participant lists */
	int64		idle_since;		/* parallel: waiting for keys since (ms), or 0 */
	bool		gave_up;		/* parallel: waited too long; the lister reads on */
	TimestampTz progress_at;	/* last progress notice */
	CtSyncHook *sync;			/* cloudtrail_sync's listing mode, or NULL */
	CtOrder    *order;			/* rows in event_time order (order.c), or NULL */
};

/*
 * cloudtrail_sync's listing mode (sync.c): set around the INSERT it runs,
 * claimed by the first trail scan that begins.  Each files stream starts
 * where the hook says; a listed key is taken, skipped (already synced) or
 * ends the stream; a queued key is admitted just before it is fetched, in
 * queue order, so what a call reads of each folder is a prefix of what it
 * listed there.
 */
typedef enum CtSyncTake
{
	CT_SYNC_TAKE,
	CT_SYNC_SKIP,
	CT_SYNC_STOP
} CtSyncTake;

struct CtSyncHook
{
	void	   *arg;
	bool		claimed;
	char	   *(*start_after) (void *arg, const char *folder);
	CtSyncTake	(*take) (void *arg, const char *folder, const char *key);
	bool		(*admit) (void *arg, const char *folder, const char *key);
	void		(*finish) (void *arg, CtTrailScan *s);
};

extern PGDLLIMPORT CtSyncHook *ctfdw_sync_hook;

/* trail.c: listing and pruning */
extern void ctfdw_take_page(CtTrailScan *s, ListStream *st, CtS3ListPage *page);
extern bool ctfdw_take_key(CtTrailScan *s, ListStream *st, const char *key);
extern int64 ctfdw_to_epoch(TimestampTz t);
extern TimestampTz ctfdw_from_epoch(int64 secs);

/* store_dir.c, for cloudtrail_validate() */
extern void ctfdw_dir_page(CtTrailScan *s, const char *prefix, bool folders,
						   const char *start_after, CtS3ListPage *page);
extern bool ctfdw_dir_inside(CtTrailScan *s, const char *rel);

/* fetch.c: the engine */
extern CtTrailScan *ctfdw_trail_begin(CtFdwOptions *opts, CtWindow *w, MemoryContext cxt,
									  const CtStoreRoutine *store);
extern bool ctfdw_trail_next(void *scan, CtRow *row);
extern void ctfdw_trail_rescan(void *scan);
extern void ctfdw_trail_end(void *scan);
extern void ctfdw_plan_streams(CtTrailScan *s);
extern void ctfdw_object_done(CtTrailScan *s, ObjState *o);
extern void ctfdw_enqueue(CtTrailScan *s, ListStream *st, const char *key);
extern bool ctfdw_is_active(CtTrailScan *s, void *arg);
extern ObjState *ctfdw_fetch(CtTrailScan *s, char *key);

/* order.c: scans in event_time order */
extern void ctfdw_order_begin(CtTrailScan *s);
extern void ctfdw_order_end(CtTrailScan *s);
extern void ctfdw_order_lane(CtTrailScan *s, ListStream *st);
extern void ctfdw_order_take_page(CtTrailScan *s, ListStream *st, CtS3ListPage *page);
extern void ctfdw_order_enqueue(CtTrailScan *s, ListStream *st, const char *key);
extern void ctfdw_order_start_work(CtTrailScan *s, int64 now);
extern void ctfdw_order_push(CtTrailScan *s, ObjState *o, const CtRow *row);
extern bool ctfdw_order_pop(CtTrailScan *s, CtRow *row);
extern bool ctfdw_order_empty(CtTrailScan *s);
extern void ctfdw_order_file_done(CtTrailScan *s, ObjState *o);

/* parallel.c */
extern Size ctfdw_shared_size(void);
extern void ctfdw_shared_init(void *coordinate, CtFdwOptions *opts);
extern void ctfdw_shared_attach(void *scan, void *coordinate);
extern bool ctfdw_shared_credentials(CtTrailScan *s, CtCredentials *out);
extern bool ctfdw_shared_begin(CtTrailScan *s);
extern bool ctfdw_shared_put(CtTrailScan *s, const char *key);
extern void ctfdw_shared_wake(CtTrailScan *s, bool done);
extern char *ctfdw_shared_take(CtTrailScan *s);
extern bool ctfdw_shared_done(CtTrailScan *s);
extern void ctfdw_shared_wait(CtTrailScan *s);
extern void ctfdw_shared_stop(void *scan);

#endif							/* CTFDW_TRAIL_H */

/*-------------------------------------------------------------------------
 *
 * validate.h
 *		cloudtrail_validate(): the objects it reads (vstore.c) and the
 *		digest-chain walk that judges them (validate.c).
 *
 * A VStore reads a trail table's bucket (on the table's session, with the
 * caller's user mapping) or its directory: listings one page at a time,
 * and batches of objects, at most max_concurrency in flight.  A digest's
 * body is kept whole (digests are small); a log file streams through the
 * digest layer's gunzip-and-SHA-256, so nothing of it is held.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/validate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CTFDW_VALIDATE_H
#define CTFDW_VALIDATE_H

#include "ct_digest.h"
#include "trail.h"

typedef enum VGetOutcome
{
	VGET_OK,
	VGET_NOT_FOUND,				/* NoSuchKey, or no such file */
	VGET_ERROR					/* any other failure, after retries: detail */
} VGetOutcome;

/* One object to read. */
typedef struct VObj
{
	char	   *key;
	bool		whole;			/* keep the body (a digest), else hash it */
	void	   *arg;			/* for the caller */

	/* results */
	VGetOutcome outcome;
	char	   *detail;			/* VGET_ERROR: what went wrong */
	char	   *body;			/* whole: palloc'd */
	size_t		len;
	char	   *signature;		/* x-amz-meta-signature, NULL if absent */
	char	   *signature_algorithm;
	CtLogHashResult hash;		/* !whole and VGET_OK */

	/* the store's */
	CtHttpReq  *req;
	CtLogHash  *lh;				/* malloc'd while the object is read */
	CtTry		try;
	int64		received;		/* body bytes taken */
	int64		req_offset;
	char		etag[128];
	bool		done;
} VObj;

typedef struct VStore
{
	MemoryContext cxt;
	CtFdwOptions *opts;
	CtSession  *session;		/* S3; NULL for a directory */
	CtTrailScan *dir;			/* directory: a scan shell for store_dir's checks */
	VObj	  **live;			/* being read (freed by the context's callback) */
	int			nlive;
	int64		lists;
	int64		fetched;
	int64		bytes;
} VStore;

extern VStore *ctfdw_vstore_open(CtFdwOptions *opts, MemoryContext cxt);
extern void ctfdw_vstore_list(VStore *v, const char *prefix, bool folders,
							  const char *start_after, bool (*take) (void *arg, const char *item),
							  void *arg);
extern void ctfdw_vstore_get(VStore *v, VObj **objs, int n);
extern char *ctfdw_vstore_url(VStore *v, const char *key);
extern char *ctfdw_vstore_call(VStore *v, const char *region, const char *target, char *body,
							   const char *what);
extern void ctfdw_vstore_counters(VStore *v, int64 *requests, int64 *retries);

#endif							/* CTFDW_VALIDATE_H */

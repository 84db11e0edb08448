/*-------------------------------------------------------------------------
 *
 * parallel.c
 *		Parallel trail scans: sharing out the objects, and the leader's
 *		credentials, through the DSM segment.
 *
 * Every participant lists the same streams the same way (listing is
 * deterministic, and LISTs are a thousandth of the GETs); the objects of a
 * files stream are numbered in listing order, and a shared counter per
 * stream hands out those numbers as tickets.  A participant fetches an
 * object only when its number is the ticket it holds, so each object is
 * read by exactly one participant.  Tickets are taken when a participant
 * has room to fetch, not when it lists, so the work goes to whoever is
 * free.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/parallel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "port/atomics.h"
#include "storage/spin.h"

#include "trail.h"

#define CT_PARALLEL_STREAMS 16384

struct CtSharedStream
{
	uint64		hash;			/* of the stream's prefix; 0: free */
	pg_atomic_uint64 next;		/* next object number to hand out */
};

#define SHARED_CRED_SIZE 8192

struct CtShared
{
	slock_t		mutex;			/* protects slot allocation */
	CtSharedStream streams[CT_PARALLEL_STREAMS];

	/*
	 * The leader's credentials, so that workers need not fetch their own
	 * (an AssumeRole per worker per query otherwise): key id, secret and
	 * token one after the other, NUL-terminated.  Empty if they did not
	 * fit; then each worker resolves its own.
	 */
	int			cred_len;
	char		cred[SHARED_CRED_SIZE];
};

Size
ctfdw_shared_size(void)
{
	return sizeof(CtShared);
}

/* The leader puts the credentials it signs with where its workers find them. */
static void
share_credentials(CtShared *sh, CtFdwOptions *opts)
{
	CtCredentials c;
	const char *token;
	size_t		a,
				b,
				t;

	ctfdw_credentials(opts, &c, false, CurrentMemoryContext);
	token = c.session_token ? c.session_token : "";
	a = strlen(c.access_key_id) + 1;
	b = strlen(c.secret_access_key) + 1;
	t = strlen(token) + 1;
	if (a + b + t <= SHARED_CRED_SIZE)
	{
		memcpy(sh->cred, c.access_key_id, a);
		memcpy(sh->cred + a, c.secret_access_key, b);
		memcpy(sh->cred + a + b, token, t);
		sh->cred_len = (int) (a + b + t);
	}
	explicit_bzero(c.secret_access_key, b);
	if (c.session_token)
		explicit_bzero(c.session_token, t);
}

/* (Re)initialize the segment: no stream seen, the leader's credentials. */
void
ctfdw_shared_init(void *coordinate, CtFdwOptions *opts)
{
	CtShared   *sh = coordinate;

	SpinLockInit(&sh->mutex);
	sh->cred_len = 0;
	for (int i = 0; i < CT_PARALLEL_STREAMS; i++)
	{
		sh->streams[i].hash = 0;
		pg_atomic_init_u64(&sh->streams[i].next, 0);
	}
	if (opts->source->network)
		share_credentials(sh, opts);
}

void
ctfdw_shared_attach(void *scan, void *coordinate)
{
	((CtTrailScan *) scan)->shared = coordinate;
}

/* Credentials from the leader, if it left them (pointing into the segment). */
bool
ctfdw_shared_credentials(CtTrailScan *s, CtCredentials *out)
{
	const char *p;

	if (!s->shared || s->shared->cred_len == 0)
		return false;
	p = s->shared->cred;
	out->access_key_id = (char *) p;
	p += strlen(p) + 1;
	out->secret_access_key = (char *) p;
	p += strlen(p) + 1;
	out->session_token = *p ? (char *) p : NULL;
	return true;
}

/* The shared counter of a stream, found or made by its prefix. */
static CtSharedStream *
shared_stream(CtShared *sh, const char *prefix)
{
	uint64		h = hash_bytes_extended((const unsigned char *) prefix, strlen(prefix), 0) | 1;
	int			i = (int) (h % CT_PARALLEL_STREAMS);
	CtSharedStream *found = NULL;

	SpinLockAcquire(&sh->mutex);
	for (int n = 0; n < CT_PARALLEL_STREAMS; n++, i = (i + 1) % CT_PARALLEL_STREAMS)
	{
		if (sh->streams[i].hash == h || sh->streams[i].hash == 0)
		{
			sh->streams[i].hash = h;
			found = &sh->streams[i];
			break;
		}
	}
	SpinLockRelease(&sh->mutex);
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a parallel CloudTrail scan can read at most %d account and region folders",
						CT_PARALLEL_STREAMS),
				 errhint("Narrow the query by account or region, or SET max_parallel_workers_per_gather = 0.")));
	return found;
}

/* Is the next object of this stream ours to fetch? */
bool
ctfdw_claim(CtTrailScan *s, ListStream *st)
{
	int64		n = st->seen++;

	if (st->shared == NULL)
		st->shared = shared_stream(s->shared, st->prefix);

	/*
	 * A new ticket is taken only once the last one is used (or at the
	 * start), and the counter is past every ticket handed out, so the new
	 * ticket is never below n: no object is passed over unclaimed.
	 */
	if (st->ticket < n)
		st->ticket = (int64) pg_atomic_fetch_add_u64(&st->shared->next, 1);
	return st->ticket == n;
}

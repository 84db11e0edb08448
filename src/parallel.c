/*-------------------------------------------------------------------------
 *
 * parallel.c
 *		Parallel trail scans: one participant lists, every participant
 *		fetches; the listed keys, and the leader's credentials, are shared
 *		through the DSM segment.
 *
 * The first participant to begin the scan becomes the lister (the leader,
 * usually; a worker when the leader does not take part or starts late).
 * Only the lister lists: the discovery listings, the files streams and the
 * window's bounds are its alone, so a parallel scan sends the LIST
 * requests of a serial one.  It puts the keys it queues, in listing order,
 * into a bounded ring of key bytes in the segment; when the ring is full
 * they wait in its own queue, and listing pauses when that queue is full,
 * as in a serial scan.  Every participant, the lister too, takes keys from
 * the ring when it has room to fetch, so the work goes to whoever is free
 * and each object is read by exactly one process.
 *
 * A participant's part ends when the lister has put every key in the ring
 * (or stopped) and the ring is empty.  A worker that finds the ring empty
 * before that sleeps on a condition variable, woken when keys come or the
 * listing ends; the sleep is timed and checks for interrupts.  The leader
 * never sleeps there: a worker lister may itself be waiting for the leader
 * to read its tuple queue.  When the leader is not the lister and finds
 * nothing to take, its part ends, and the workers read the rest.
 *
 * Nobody waits forever for a lister that stopped.  A lister that ends
 * before its listing is done (LIMIT shuts the scan down, or a worker's
 * tuple queue is detached because nothing more is wanted) says so through
 * ctfdw_shared_stop(), and the others stop taking keys.  A lister that
 * fails with an ERROR takes the query with it: a worker's error reaches
 * the leader, whose waits check for interrupts, and the leader's abort
 * terminates the workers, whose sleeps check for interrupts too.  (A
 * Gather rescanned in the middle of a scan whose lister is the leader waits
 * for its workers before the scan hears of the rescan: those waiting for
 * keys sleep until the query is canceled.)
 *
 * cloudtrail_sync's scans are never parallel (INSERT ... SELECT is not); a
 * scan with the sync hook ignores the segment.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/parallel.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "storage/condition_variable.h"
#include "storage/spin.h"
#include "utils/memutils.h"
#include "utils/wait_event.h"

#include "trail.h"

/*
 * Listed keys waiting to be fetched, as a 2-byte length and the key's bytes:
 * about 15,000 keys of a trail's usual length, more than the lister's own
 * queue holds when listing pauses.
 */
#define KEY_RING_SIZE	(2 * 1024 * 1024)
#define KEY_LEN_SIZE	2

#define SHARED_CRED_SIZE 8192

/* a worker's sleep between checks when nothing wakes it */
#define IDLE_SLEEP_MS	1000

/*
 * A worker that has waited this long for a key ends its part: the lister
 * takes every key it lists itself too, so nothing is lost.  Without this, a
 * Gather rescanned while its leader lists (the leader stops running the
 * scan, and PostgreSQL waits for the workers before it says so) would leave
 * the workers waiting for keys that never come.
 */
#define IDLE_GIVE_UP_MS	2000

struct CtShared
{
	slock_t		mutex;			/* protects the fields up to the ring */
	ConditionVariable keys_cv;	/* keys came, or the listing ended */
	bool		lister_chosen;
	bool		listed;			/* the lister put every key in the ring */
	bool		stopped;		/* the lister ended early: take no more */
	uint64		ring_head;		/* bytes taken out of the ring */
	uint64		ring_tail;		/* bytes put into it; only the lister moves it */

	/*
	 * The leader's credentials, so that workers need not fetch their own
	 * (an AssumeRole per worker per query otherwise): key id, secret and
	 * token one after the other, NUL-terminated.  Empty if they did not
	 * fit; then each worker resolves its own.
	 */
	int			cred_len;
	char		cred[SHARED_CRED_SIZE];

	char		ring[KEY_RING_SIZE];
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

/* (Re)initialize the segment: no lister yet, no key, the leader's credentials. */
void
ctfdw_shared_init(void *coordinate, CtFdwOptions *opts)
{
	CtShared   *sh = coordinate;

	SpinLockInit(&sh->mutex);
	ConditionVariableInit(&sh->keys_cv);
	sh->lister_chosen = false;
	sh->listed = false;
	sh->stopped = false;
	sh->ring_head = sh->ring_tail = 0;
	sh->cred_len = 0;
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

/* The scan begins: is this participant the lister (the first to begin)? */
bool
ctfdw_shared_begin(CtTrailScan *s)
{
	CtShared   *sh = s->shared;

	SpinLockAcquire(&sh->mutex);
	s->lister = !sh->lister_chosen;
	sh->lister_chosen = true;
	SpinLockRelease(&sh->mutex);
	return s->lister;
}

/* Copy len bytes at ring position pos (which wraps) to or from buf. */
static void
ring_copy(CtShared *sh, uint64 pos, char *buf, size_t len, bool in)
{
	size_t		off = (size_t) (pos % KEY_RING_SIZE);
	size_t		first = Min(len, KEY_RING_SIZE - off);

	if (in)
	{
		memcpy(sh->ring + off, buf, first);
		memcpy(sh->ring, buf + first, len - first);
	}
	else
	{
		memcpy(buf, sh->ring + off, first);
		memcpy(buf + first, sh->ring, len - first);
	}
}

/*
 * The lister puts a key in the ring; false if it is full.  The bytes are
 * written outside the lock, where no one reads until the tail moves past
 * them (the spinlock is a barrier).
 */
bool
ctfdw_shared_put(CtTrailScan *s, const char *key)
{
	CtShared   *sh = s->shared;
	size_t		len = strlen(key);
	uint16		len16 = (uint16) len;
	uint64		head,
				tail = sh->ring_tail;

	Assert(s->lister && len <= PG_UINT16_MAX);
	SpinLockAcquire(&sh->mutex);
	head = sh->ring_head;
	SpinLockRelease(&sh->mutex);
	if (tail - head + KEY_LEN_SIZE + len > KEY_RING_SIZE)
		return false;
	ring_copy(sh, tail, (char *) &len16, KEY_LEN_SIZE, true);
	ring_copy(sh, tail + KEY_LEN_SIZE, (char *) key, len, true);
	SpinLockAcquire(&sh->mutex);
	sh->ring_tail = tail + KEY_LEN_SIZE + len;
	SpinLockRelease(&sh->mutex);
	return true;
}

/*
 * The lister has put keys in the ring (done: all there will be): wake the
 * participants waiting for them.
 */
void
ctfdw_shared_wake(CtTrailScan *s, bool done)
{
	CtShared   *sh = s->shared;

	bool		wake = !done;

	if (done)
	{
		SpinLockAcquire(&sh->mutex);
		wake = !sh->listed;
		sh->listed = true;
		SpinLockRelease(&sh->mutex);
	}
	if (wake)
		ConditionVariableBroadcast(&sh->keys_cv);
}

/* The next key to fetch, in the scan's context; NULL if the ring is empty. */
char *
ctfdw_shared_take(CtTrailScan *s)
{
	CtShared   *sh = s->shared;
	static char buf[PG_UINT16_MAX];
	uint16		len = 0;
	bool		got = false;
	char	   *key;

	/* copied out under the lock: the lister may write there once head moves */
	SpinLockAcquire(&sh->mutex);
	if (!sh->stopped && sh->ring_head < sh->ring_tail)
	{
		ring_copy(sh, sh->ring_head, (char *) &len, KEY_LEN_SIZE, false);
		ring_copy(sh, sh->ring_head + KEY_LEN_SIZE, buf, len, false);
		sh->ring_head += KEY_LEN_SIZE + len;
		got = true;
	}
	SpinLockRelease(&sh->mutex);
	if (!got)
		return NULL;
	s->idle_since = 0;
	key = MemoryContextAlloc(s->cxt, len + 1);
	memcpy(key, buf, len);
	key[len] = '\0';
	return key;
}

/*
 * Is this participant's part over?  Yes once every key is taken (or the
 * lister stopped); for the leader when it is not the lister, as soon as the
 * ring is empty (see the header comment).
 */
bool
ctfdw_shared_done(CtTrailScan *s)
{
	CtShared   *sh = s->shared;
	bool		done;

	SpinLockAcquire(&sh->mutex);
	done = sh->stopped || (sh->ring_head == sh->ring_tail &&
						   (sh->listed || s->gave_up || (!s->lister && !IsParallelWorker())));
	SpinLockRelease(&sh->mutex);
	return done;
}

/*
 * A participant has nothing to fetch: a worker that is not the lister waits
 * for keys, or for the end.  The lister and the leader never wait here
 * (see the header comment).
 */
void
ctfdw_shared_wait(CtTrailScan *s)
{
	CtShared   *sh = s->shared;
	bool		idle;

	if (s->lister || !IsParallelWorker())
		return;
	/* prepared before looking, so that a broadcast in between is not lost */
	ConditionVariablePrepareToSleep(&sh->keys_cv);
	SpinLockAcquire(&sh->mutex);
	idle = !sh->listed && sh->ring_head == sh->ring_tail;
	SpinLockRelease(&sh->mutex);
	if (idle)
	{
		int64		now = ctfdw_now_ms();

		if (s->idle_since == 0)
			s->idle_since = now;
		if (now - s->idle_since >= IDLE_GIVE_UP_MS)
			s->gave_up = true;
		else
			(void) ConditionVariableTimedSleep(&sh->keys_cv,
											   Min(IDLE_SLEEP_MS, IDLE_GIVE_UP_MS - (now - s->idle_since)),
											   PG_WAIT_EXTENSION);
	}
	ConditionVariableCancelSleep();
}

/*
 * The scan is shut down or ended (a source's dsm_shutdown and end): a lister
 * that has not listed everything tells the others to take no more.  The
 * scan lets go of the segment: the leader's goes once the Gather is shut
 * down, and the executor shuts the scan down first (or ends it first).
 */
void
ctfdw_shared_stop(void *scan)
{
	CtTrailScan *s = scan;
	CtShared   *sh = s->shared;
	bool		wake = false;

	if (sh == NULL)
		return;
	s->shared = NULL;
	if (!s->lister)
		return;
	SpinLockAcquire(&sh->mutex);
	if (!sh->listed)
		sh->listed = sh->stopped = wake = true;
	SpinLockRelease(&sh->mutex);
	if (wake)
		ConditionVariableBroadcast(&sh->keys_cv);
}

/*-------------------------------------------------------------------------
 *
 * limiter.c
 *		Keeping LookupEvents calls to 2 a second per account and region.
 *
 * AWS answers a third call within a second with ThrottlingException, and
 * the backoff that follows costs more than waiting would have.  The limit
 * is per account and region and outlives a query (back-to-back queries
 * must not burst), so limiters live for the backend, keyed by access key
 * id (standing for the account) and region.
 *
 * Each backend has its own limiter per key: the times of its last calls.
 * It cannot see other backends' calls, so eight backends querying at once
 * make up to eight times the rate, and are throttled.
 *
 * When the library is in shared_preload_libraries, a table in shared memory
 * holds the calls of every backend, one slot per key, and a call takes its
 * turn there too: all backends together keep the rate.  A shared entry
 * counts a call from when it takes its turn until a window after its reply
 * came, the latest time AWS can have counted it: however late a busy
 * backend sends its call, or a busy AWS counts it, calls of other backends
 * cannot make three in a second.  (The backend's own limiter counts from
 * the send, as it always has; a backend alone loses one round trip a turn
 * to the shared table's caution.)
 *
 * The table has cloudtrail_fdw.lookup_limiter_slots slots.  A slot whose
 * calls have all expired is free for another key (temporary credentials
 * change access key every hour or so, and must not fill the table).  When
 * every slot is in use, a key that has none falls back to the backend's
 * limiter until a later scan finds a free slot; EXPLAIN ANALYZE says so.
 *
 * Locking: the table's LWLock guards which key each slot holds (taken once
 * a scan per key, to find the key's slot or give it one); each slot's
 * spinlock guards its calls and its generation, which changes with its
 * key, so that a backend holding a slot number learns, in the spinlock
 * alone, that the slot went to another key.  A turn is released from a scan's cleanup,
 * after an ERROR too, which is why that path takes only the spinlock.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/limiter.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "limiter.h"

/* access key ids have at most 128 characters, regions some 20 */
#define LIMITER_KEY_LEN 160

/*
 * A shared entry whose reply never came -- its backend left without its
 * cleanup -- stops counting after this long: longer than any reply takes
 * with the default request_timeout.
 */
#define PENDING_CAP_MS (60 * 1000)

#define LIMITER_TRANCHE "cloudtrail_fdw"

/* ---------------------------------------------------------------- per backend */

typedef struct LocalLimiter
{
	char	   *key;			/* access key id '/' region */
	int64		calls[CT_LOOKUP_CALLS_PER_SEC]; /* ms of the last calls, oldest first */
	int			slot;			/* in the shared table; -1: none */
	uint64		generation;		/* of the slot when this key got it */
} LocalLimiter;

static LocalLimiter *limiters;	/* in TopMemoryContext */
static int	nlimiters;
static int	max_limiters;

/* ---------------------------------------------------------------- shared */

typedef struct SharedCall
{
	int64		at;				/* ms: when it took its turn, or its reply came */
	int			pid;			/* the backend that made it */
	bool		answered;		/* its reply came, or it was abandoned */
} SharedCall;

typedef struct SharedSlot
{
	slock_t		mutex;			/* what follows, but key */
	uint64		generation;		/* changes with the key */
	int64		claimed_at;		/* ms: when a scan last looked its key up */
	SharedCall	calls[CT_LOOKUP_CALLS_PER_SEC];
	char		key[LIMITER_KEY_LEN];	/* "": never used; the table's lock */
} SharedSlot;

typedef struct SharedTable
{
	LWLock	   *lock;			/* which key each slot holds */
	int			nslots;
	SharedSlot	slots[FLEXIBLE_ARRAY_MEMBER];
} SharedTable;

static int	limiter_slots = 64;
static SharedTable *shared;		/* NULL: not preloaded */
static shmem_request_hook_type prev_shmem_request_hook;
static shmem_startup_hook_type prev_shmem_startup_hook;

static Size
table_size(void)
{
	return add_size(offsetof(SharedTable, slots),
					mul_size(limiter_slots, sizeof(SharedSlot)));
}

static void
limiter_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(table_size());
	RequestNamedLWLockTranche(LIMITER_TRANCHE, 1);
}

static void
limiter_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("cloudtrail_fdw LookupEvents limiter", table_size(), &found);
	if (!found)
	{
		shared->lock = &(GetNamedLWLockTranche(LIMITER_TRANCHE))->lock;
		shared->nslots = limiter_slots;
		for (int i = 0; i < limiter_slots; i++)
		{
			SharedSlot *s = &shared->slots[i];

			memset(s, 0, sizeof(SharedSlot));
			SpinLockInit(&s->mutex);
			for (int c = 0; c < CT_LOOKUP_CALLS_PER_SEC; c++)
				s->calls[c].answered = true;
		}
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * From _PG_init: when loaded by shared_preload_libraries, the shared table
 * and its setting; otherwise nothing, and every backend has its own.
 */
void
ctfdw_limiter_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("cloudtrail_fdw.lookup_limiter_slots",
							"Account and region pairs the shared LookupEvents limiter holds at once.",
							"Others fall back to each backend's own limiter.",
							&limiter_slots, 64, 1, 100000, PGC_POSTMASTER, 0,
							NULL, NULL, NULL);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = limiter_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = limiter_shmem_startup;
}

/* When may this shared entry count for a new call? */
static int64
call_free_at(const SharedCall *c)
{
	return c->at + (c->answered ? CT_LOOKUP_WINDOW_MS : PENDING_CAP_MS);
}

/*
 * Has nobody used the slot for a window?  A scan's keys are claimed when it
 * starts, so that one key of a scan cannot take another's slot before the
 * first call.  Caller holds its mutex.
 */
static bool
slot_idle(const SharedSlot *s, int64 now)
{
	if (s->claimed_at + CT_LOOKUP_WINDOW_MS > now)
		return false;
	for (int c = 0; c < CT_LOOKUP_CALLS_PER_SEC; c++)
		if (call_free_at(&s->calls[c]) > now)
			return false;
	return true;
}

/* The slot holding key, or -1; caller holds the table's lock. */
static int
slot_of(const char *key)
{
	for (int i = 0; i < shared->nslots; i++)
		if (strcmp(shared->slots[i].key, key) == 0)
			return i;
	return -1;
}

/*
 * Find the key's slot, or give it a free one; l->slot = -1 when the table
 * is full (the key falls back to the backend's limiter).  Once a scan per
 * key: the exclusive lock costs nothing that matters.
 */
static void
find_slot(LocalLimiter *l, int64 now)
{
	int			i = -1;

	l->slot = -1;
	if (l->key[0] == '\0' || strlen(l->key) >= LIMITER_KEY_LEN)
		return;
	LWLockAcquire(shared->lock, LW_EXCLUSIVE);
	i = slot_of(l->key);
	for (int j = 0; j < shared->nslots && i < 0; j++)
	{
		SharedSlot *s = &shared->slots[j];

		SpinLockAcquire(&s->mutex);
		if (s->key[0] == '\0' || slot_idle(s, now))
		{
			strlcpy(s->key, l->key, LIMITER_KEY_LEN);
			s->generation++;
			s->claimed_at = now;
			for (int c = 0; c < CT_LOOKUP_CALLS_PER_SEC; c++)
				s->calls[c] = (SharedCall)
			{
				0, 0, true
			};
			i = j;
		}
		SpinLockRelease(&s->mutex);
	}
	if (i >= 0)
	{
		SpinLockAcquire(&shared->slots[i].mutex);
		l->generation = shared->slots[i].generation;
		shared->slots[i].claimed_at = now;
		SpinLockRelease(&shared->slots[i].mutex);
	}
	LWLockRelease(shared->lock);
	l->slot = i;
}

/* Claim the slot the key had, or find it one (again). */
static void
claim_slot(LocalLimiter *l, int64 now)
{
	if (l->slot >= 0)
	{
		SharedSlot *s = &shared->slots[l->slot];
		bool		same;

		SpinLockAcquire(&s->mutex);
		if ((same = s->generation == l->generation))
			s->claimed_at = now;
		SpinLockRelease(&s->mutex);
		if (same)
			return;
	}
	find_slot(l, now);
}

/*
 * The limiter for key (access key id '/' region), made on first use; with
 * the shared table, its slot is claimed for the scan, or looked for again
 * if it had none.
 */
int
ctfdw_limiter_for(const char *key)
{
	int			i;

	for (i = 0; i < nlimiters; i++)
		if (strcmp(limiters[i].key, key) == 0)
			break;
	if (i == nlimiters)
	{
		if (nlimiters == max_limiters)
		{
			max_limiters = max_limiters ? max_limiters * 2 : 16;
			limiters = limiters ?
				repalloc(limiters, sizeof(LocalLimiter) * max_limiters) :
				MemoryContextAlloc(TopMemoryContext, sizeof(LocalLimiter) * max_limiters);
		}
		memset(&limiters[i], 0, sizeof(LocalLimiter));
		limiters[i].key = MemoryContextStrdup(TopMemoryContext, key);
		limiters[i].slot = -1;
		nlimiters++;
	}
	if (shared)
		claim_slot(&limiters[i], GetCurrentTimestamp() / 1000);
	return i;
}

/*
 * Take the shared turn of l's slot, or say when to ask again.  The slot is
 * looked up again when it went to another key.
 */
static int64
take_shared(LocalLimiter *l, int64 now, CtTurn *turn)
{
	for (;;)
	{
		SharedSlot *s = &shared->slots[l->slot];
		int			best = -1;
		int64		best_free = 0;
		bool		stale;

		turn->others = false;
		SpinLockAcquire(&s->mutex);
		stale = s->generation != l->generation;
		if (!stale)
		{
			for (int c = 0; c < CT_LOOKUP_CALLS_PER_SEC; c++)
			{
				int64		free_at = call_free_at(&s->calls[c]);

				if (best < 0 || free_at < best_free)
					best = c, best_free = free_at;
				if (free_at > now && s->calls[c].pid != MyProcPid)
					turn->others = true;
			}
			if (best_free <= now)
				s->calls[best] = (SharedCall)
			{
				now, MyProcPid, false
			};
		}
		SpinLockRelease(&s->mutex);
		if (!stale)
		{
			if (best_free > now)
				return best_free;
			turn->held = true;
			turn->slot = l->slot;
			turn->generation = l->generation;
			turn->at = now;
			return 0;
		}
		find_slot(l, now);
		if (l->slot < 0)
			return 0;			/* the table is full: the backend's limiter */
	}
}

/*
 * May a call with this limiter leave now?  0: yes, and it is counted (a
 * shared turn is then held by *turn until ctfdw_limiter_done); else the
 * time (ms) to ask again, and turn->others says whether it is other
 * backends' calls that the call waits for.
 */
int64
ctfdw_limiter_take(int limiter, int64 now, CtTurn *turn)
{
	LocalLimiter *l = &limiters[limiter];
	int64		ready = l->calls[0] ? l->calls[0] + CT_LOOKUP_WINDOW_MS : 0;

	turn->others = false;
	if (ready > now)
		return ready;
	if (l->slot >= 0 && (ready = take_shared(l, now, turn)) > now)
		return ready;
	memmove(l->calls, l->calls + 1, sizeof(int64) * (CT_LOOKUP_CALLS_PER_SEC - 1));
	l->calls[CT_LOOKUP_CALLS_PER_SEC - 1] = now;
	return 0;
}

/*
 * The reply of the call came (or the call was given up): from now its
 * shared entry counts from this time, for a window.  Takes only the slot's
 * spinlock: this runs in cleanup after an ERROR too.
 */
void
ctfdw_limiter_done(CtTurn *turn, int64 now)
{
	SharedSlot *s;

	if (!turn->held)
		return;
	turn->held = false;
	s = &shared->slots[turn->slot];
	SpinLockAcquire(&s->mutex);
	if (s->generation == turn->generation)
	{
		for (int c = 0; c < CT_LOOKUP_CALLS_PER_SEC; c++)
		{
			SharedCall *call = &s->calls[c];

			if (!call->answered && call->pid == MyProcPid && call->at == turn->at)
			{
				call->at = Max(call->at, now);
				call->answered = true;
				break;
			}
		}
	}
	SpinLockRelease(&s->mutex);
}

/* Does this limiter take its turns in the shared table? */
bool
ctfdw_limiter_shared(int limiter)
{
	return limiters[limiter].slot >= 0;
}

/* The shared table's slots; 0 without one. */
int
ctfdw_limiter_slots(void)
{
	return shared ? shared->nslots : 0;
}

/*-------------------------------------------------------------------------
 *
 * limiter.h
 *		The LookupEvents rate limiter: per backend, or shared by all
 *		backends when the library is in shared_preload_libraries.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/limiter.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CTFDW_LIMITER_H
#define CTFDW_LIMITER_H

/*
 * LookupEvents allows this many calls a second per account and region.  A
 * call counts for a little more than a second (the window): a margin, as
 * AWS counts calls when they arrive, not when they leave.
 */
#define CT_LOOKUP_CALLS_PER_SEC 2
#define CT_LOOKUP_WINDOW_MS 1100

/*
 * A call's turn, as ctfdw_limiter_take() gave it: in the shared table, the
 * call counts as in flight until ctfdw_limiter_done() says its reply came
 * (or that it was abandoned).  Zeroed memory is a turn not held.
 */
typedef struct CtTurn
{
	bool		held;			/* a shared entry waits for ctfdw_limiter_done */
	bool		others;			/* the last refusal was for other backends' calls */
	int			slot;
	uint64		generation;
	int64		at;				/* ms: when the call took its turn */
} CtTurn;

extern void ctfdw_limiter_init(void);
extern int	ctfdw_limiter_for(const char *key);
extern int64 ctfdw_limiter_take(int limiter, int64 now, CtTurn *turn);
extern void ctfdw_limiter_done(CtTurn *turn, int64 now);
extern bool ctfdw_limiter_shared(int limiter);
extern int	ctfdw_limiter_slots(void);

#endif							/* CTFDW_LIMITER_H */

/*-------------------------------------------------------------------------
 *
 * ct_host.h
 *		The only way the AWS client layer reaches its host program.
 *
 * The client layer (everything under src/aws) never includes postgres.h: it
 * is built into the extension and, unchanged, into the unit tests and fuzz
 * targets.  What it needs from its host -- "should I stop now?", a place
 * to send debug lines, and a word when it waits on the network (for the
 * host's wait event) -- comes through this table of callbacks, which the
 * host installs once with ct_set_host().  A NULL member means "no".
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_host.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_HOST_H
#define CT_HOST_H

#include <stdbool.h>

typedef struct CtHost
{
	/* true when the operation in progress must stop (query cancel, timeout) */
	bool		(*interrupted) (void);
	/* a debug line; never called with credentials or signatures in it */
	void		(*debug) (const char *msg);
	/* around each wait on the network (the host reports a wait event) */
	void		(*wait_start) (void);
	void		(*wait_end) (void);
} CtHost;

extern void ct_set_host(const CtHost *host);
extern bool ct_interrupted(void);
extern void ct_wait_start(void);
extern void ct_wait_end(void);
extern void ct_debug(const char *fmt,...) __attribute__((format(printf, 1, 2)));

#endif							/* CT_HOST_H */

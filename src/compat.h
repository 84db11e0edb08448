/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every difference between the PostgreSQL major versions the
 *		extension builds against (15, 17 and 18; 16 is like 15 here).
 *
 * Call sites use the macros and functions below, never PG_VERSION_NUM
 * themselves, so that supporting a new version means editing this file.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/compat.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CTFDW_COMPAT_H
#define CTFDW_COMPAT_H

#include "postgres.h"

#include "commands/explain.h"
#include "executor/executor.h"
#include "miscadmin.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "utils/wait_event.h"

/*
 * 18 moved ExplainState to its own header and the ExplainProperty*()
 * functions to explain_format.h.
 */
#if PG_VERSION_NUM >= 180000
#include "commands/explain_format.h"
#include "commands/explain_state.h"
#endif

/*
 * Foreign paths.  17 added fdw_restrictinfo (the quals the path enforces,
 * for joins and upper rels: none here) and 18 disabled_nodes (how many
 * disabled plan nodes the path holds: none) to the create_*_path
 * functions.  The macros take the arguments of 15.
 */
#if PG_VERSION_NUM >= 180000
#define ctfdw_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
									  outer, outerpath, priv) \
	create_foreignscan_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							outer, outerpath, NIL, priv)
#define ctfdw_create_foreign_join_path(root, rel, target, rows, startup, total, pathkeys, \
									   outer, outerpath, priv) \
	create_foreign_join_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							 outer, outerpath, NIL, priv)
#define ctfdw_create_foreign_upper_path(root, rel, target, rows, startup, total, pathkeys, \
										outerpath, priv) \
	create_foreign_upper_path(root, rel, target, rows, 0, startup, total, pathkeys, \
							  outerpath, NIL, priv)
#elif PG_VERSION_NUM >= 170000
#define ctfdw_create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
									  outer, outerpath, priv) \
	create_foreignscan_path(root, rel, target, rows, startup, total, pathkeys, \
							outer, outerpath, NIL, priv)
#define ctfdw_create_foreign_join_path(root, rel, target, rows, startup, total, pathkeys, \
									   outer, outerpath, priv) \
	create_foreign_join_path(root, rel, target, rows, startup, total, pathkeys, \
							 outer, outerpath, NIL, priv)
#define ctfdw_create_foreign_upper_path(root, rel, target, rows, startup, total, pathkeys, \
										outerpath, priv) \
	create_foreign_upper_path(root, rel, target, rows, startup, total, pathkeys, \
							  outerpath, NIL, priv)
#else
#define ctfdw_create_foreignscan_path create_foreignscan_path
#define ctfdw_create_foreign_join_path create_foreign_join_path
#define ctfdw_create_foreign_upper_path create_foreign_upper_path
#endif

/*
 * A pathkey on one expression: 16 dropped the nullable_relids argument
 * (outer joins are tracked in the Vars).  The macro takes the arguments of 16.
 */
#if PG_VERSION_NUM >= 160000
#define ctfdw_build_expression_pathkey build_expression_pathkey
#else
#define ctfdw_build_expression_pathkey(root, expr, opno, rel, create_it) \
	build_expression_pathkey(root, expr, NULL, opno, rel, create_it)
#endif

/*
 * The user a scan runs as (for the user mapping): 16 moved checkAsUser
 * from the range table entry to the plan node.
 */
#if PG_VERSION_NUM >= 160000
#define ctfdw_scan_user(fsplan, estate) \
	(OidIsValid((fsplan)->checkAsUser) ? (fsplan)->checkAsUser : GetUserId())
#else
#define ctfdw_scan_user(fsplan, estate) \
	(OidIsValid(exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser) ? \
	 exec_rt_fetch((fsplan)->scan.scanrelid, (estate))->checkAsUser : GetUserId())
#endif

/*
 * The wait event of a backend waiting on the network (libcurl's poll): on
 * 17 and later a custom event of type Extension named CloudTrailFdwNetwork,
 * registered on first use (once per backend: the name maps to the same id
 * in every backend); before 17 the generic Extension event.
 */
#define CTFDW_WAIT_EVENT_NETWORK_NAME "CloudTrailFdwNetwork"

static inline uint32
ctfdw_wait_event_network(void)
{
#if PG_VERSION_NUM >= 170000
	static uint32 network = 0;

	if (network == 0)
		network = WaitEventExtensionNew(CTFDW_WAIT_EVENT_NETWORK_NAME);
	return network;
#else
	return PG_WAIT_EXTENSION;
#endif
}

#endif							/* CTFDW_COMPAT_H */

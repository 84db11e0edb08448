/*-------------------------------------------------------------------------
 *
 * ct_cloudtrail.h
 *		The CloudTrail JSON 1.1 API: signed requests, LookupEvents bodies
 *		and replies.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_cloudtrail.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_CLOUDTRAIL_H
#define CT_CLOUDTRAIL_H

#include <stdbool.h>

#include "ct_json.h"
#include "ct_request.h"

#define CT_LOOKUP_TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"

typedef struct CtLookupParams
{
	const char *attr_key;		/* NULL: no LookupAttributes */
	const char *attr_value;
	bool		has_start;
	long long	start;			/* epoch seconds, inclusive */
	bool		has_end;
	long long	end;
	bool		insight;		/* EventCategory "insight" */
	const char *next_token;
	int			max_results;
} CtLookupParams;

extern char *ct_lookup_body(const CtLookupParams *p);
extern bool ct_json_api_prepare(CtPrepared *out, const CtEndpoint *ep, const char *target,
								const char *body, const char *region, const CtCredentials *cred,
								long long now);

/* One event of a LookupEvents reply; the strings belong to the page. */
typedef struct CtLookupEvent
{
	const char *event_id;
	double		event_time;		/* epoch seconds */
	CtJson	   *resources;		/* the API's Resources array, or NULL */
	const char *cloudtrail_event;	/* the record, as a JSON string */
	size_t		cloudtrail_event_len;
} CtLookupEvent;

typedef struct CtLookupPage
{
	CtJson	   *doc;			/* owns everything */
	CtLookupEvent *events;
	int			nevents;
	const char *next_token;		/* NULL: last page */
} CtLookupPage;

extern bool ct_lookup_parse(const char *body, size_t len, CtLookupPage *page,
							char *err, size_t errlen);
extern void ct_lookup_free(CtLookupPage *page);

/* DescribeTrails */
#define CT_DESCRIBE_TRAILS_TARGET "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.DescribeTrails"

typedef struct CtTrailInfo
{
	char	   *name;
	char	   *bucket;
	char	   *prefix;			/* NULL: none */
	char	   *home_region;
	char	   *arn;
	bool		multi_region;
	bool		organization;
} CtTrailInfo;

typedef struct CtTrailList
{
	CtTrailInfo *trails;		/* malloc'd, as are their strings */
	int			ntrails;
} CtTrailList;

extern bool ct_trails_parse(const char *body, size_t len, CtTrailList *list, char *err, size_t errlen);
extern void ct_trails_free(CtTrailList *list);

#endif							/* CT_CLOUDTRAIL_H */

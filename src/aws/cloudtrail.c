/*-------------------------------------------------------------------------
 *
 * cloudtrail.c
 *		CloudTrail's JSON 1.1 API: POST / with X-Amz-Target, SigV4-signed.
 *
 * Timestamps go out as integer epoch seconds, as the AWS SDKs send them,
 * and come back as JSON numbers in any form (1424476529, 1424476529.0,
 * 1.4244765E9).
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/cloudtrail.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json.h>

#include "ct_cloudtrail.h"
#include "ct_sts.h"

#define J(x) ((json_object *) (x))

char *
ct_lookup_body(const CtLookupParams *p)
{
	json_object *o = json_object_new_object();
	char	   *out;

	if (!o)
		return NULL;
	if (p->attr_key)
	{
		json_object *arr = json_object_new_array();
		json_object *a = json_object_new_object();

		json_object_object_add(a, "AttributeKey", json_object_new_string(p->attr_key));
		json_object_object_add(a, "AttributeValue", json_object_new_string(p->attr_value));
		json_object_array_add(arr, a);
		json_object_object_add(o, "LookupAttributes", arr);
	}
	if (p->has_start)
		json_object_object_add(o, "StartTime", json_object_new_int64(p->start));
	if (p->has_end)
		json_object_object_add(o, "EndTime", json_object_new_int64(p->end));
	if (p->insight)
		json_object_object_add(o, "EventCategory", json_object_new_string("insight"));
	json_object_object_add(o, "MaxResults", json_object_new_int(p->max_results));
	if (p->next_token)
		json_object_object_add(o, "NextToken", json_object_new_string(p->next_token));
	out = ct_strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
												   JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return out;
}

bool
ct_json_api_prepare(CtPrepared *out, const CtEndpoint *ep, const char *target,
					const char *body, const char *region, const CtCredentials *cred,
					long long now)
{
	return ct_post_prepare(out, ep, "cloudtrail", "application/x-amz-json-1.1", target, body,
						   region, cred, now);
}

void
ct_lookup_free(CtLookupPage *page)
{
	if (page->doc)
		json_object_put(J(page->doc));
	free(page->events);
	memset(page, 0, sizeof(*page));
}

bool
ct_lookup_parse(const char *body, size_t len, CtLookupPage *page, char *err, size_t errlen)
{
	json_object *doc,
			   *events,
			   *v;
	size_t		n;

	memset(page, 0, sizeof(*page));
	doc = (json_object *) ct_json_parse(body, len, err, errlen);
	if (!doc)
		return false;
	page->doc = (CtJson *) doc;
	if (!json_object_object_get_ex(doc, "Events", &events) ||
		!json_object_is_type(events, json_type_array))
	{
		snprintf(err, errlen, "reply has no Events array");
		ct_lookup_free(page);
		return false;
	}
	if (json_object_object_get_ex(doc, "NextToken", &v) && json_object_is_type(v, json_type_string) &&
		json_object_get_string_len(v) > 0)
		page->next_token = json_object_get_string(v);
	n = json_object_array_length(events);
	page->events = calloc(n ? n : 1, sizeof(CtLookupEvent));
	if (!page->events)
	{
		snprintf(err, errlen, "out of memory");
		ct_lookup_free(page);
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		json_object *e = json_object_array_get_idx(events, i);
		CtLookupEvent *ev = &page->events[i];

		if (!json_object_is_type(e, json_type_object))
		{
			snprintf(err, errlen, "event %zu of the reply is not an object", i + 1);
			ct_lookup_free(page);
			return false;
		}
		if (!json_object_object_get_ex(e, "EventTime", &v) ||
			!(json_object_is_type(v, json_type_double) || json_object_is_type(v, json_type_int)))
		{
			snprintf(err, errlen, "event %zu of the reply has no numeric EventTime", i + 1);
			ct_lookup_free(page);
			return false;
		}
		ev->event_time = json_object_get_double(v);
		if (!json_object_object_get_ex(e, "CloudTrailEvent", &v) ||
			!json_object_is_type(v, json_type_string))
		{
			snprintf(err, errlen, "event %zu of the reply has no CloudTrailEvent string", i + 1);
			ct_lookup_free(page);
			return false;
		}
		ev->cloudtrail_event = json_object_get_string(v);
		ev->cloudtrail_event_len = (size_t) json_object_get_string_len(v);
		if (json_object_object_get_ex(e, "EventId", &v) && json_object_is_type(v, json_type_string))
			ev->event_id = json_object_get_string(v);
		if (json_object_object_get_ex(e, "Resources", &v) && json_object_is_type(v, json_type_array))
			ev->resources = (CtJson *) v;
	}
	page->nevents = (int) n;
	return true;
}

/* ---------------------------------------------------------------- DescribeTrails */

static void
free_trail(CtTrailInfo *t)
{
	free(t->name);
	free(t->bucket);
	free(t->prefix);
	free(t->home_region);
	free(t->arn);
}

void
ct_trails_free(CtTrailList *list)
{
	for (int i = 0; i < list->ntrails; i++)
		free_trail(&list->trails[i]);
	free(list->trails);
	memset(list, 0, sizeof(*list));
}

/* A string member, copied (NULL if absent or not a string). */
static char *
member_copy(json_object *o, const char *name)
{
	json_object *v;

	if (!json_object_object_get_ex(o, name, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return ct_strdup(json_object_get_string(v));
}

static bool
member_true(json_object *o, const char *name)
{
	json_object *v;

	return json_object_object_get_ex(o, name, &v) && json_object_is_type(v, json_type_boolean) &&
		json_object_get_boolean(v);
}

/*
 * The trails of a DescribeTrails reply: each one's name, bucket, prefix,
 * home region, ARN and whether it covers every region and the organization.
 * A trail without a name or bucket is left out (it cannot be read).
 */
bool
ct_trails_parse(const char *body, size_t len, CtTrailList *list, char *err, size_t errlen)
{
	json_object *doc = (json_object *) ct_json_parse(body, len, err, errlen),
			   *arr;
	size_t		n;

	memset(list, 0, sizeof(*list));
	if (!doc)
		return false;
	if (!json_object_object_get_ex(doc, "trailList", &arr) || !json_object_is_type(arr, json_type_array))
	{
		snprintf(err, errlen, "reply has no trailList array");
		json_object_put(doc);
		return false;
	}
	n = json_object_array_length(arr);
	list->trails = calloc(n ? n : 1, sizeof(CtTrailInfo));
	if (!list->trails)
	{
		snprintf(err, errlen, "out of memory");
		json_object_put(doc);
		return false;
	}
	for (size_t i = 0; i < n; i++)
	{
		json_object *t = json_object_array_get_idx(arr, i);
		CtTrailInfo ti;

		if (!json_object_is_type(t, json_type_object))
			continue;
		ti.name = member_copy(t, "Name");
		ti.bucket = member_copy(t, "S3BucketName");
		ti.prefix = member_copy(t, "S3KeyPrefix");
		ti.home_region = member_copy(t, "HomeRegion");
		ti.arn = member_copy(t, "TrailARN");
		ti.multi_region = member_true(t, "IsMultiRegionTrail");
		ti.organization = member_true(t, "IsOrganizationTrail");
		if (ti.name && ti.bucket)
			list->trails[list->ntrails++] = ti;
		else
			free_trail(&ti);
	}
	json_object_put(doc);
	return true;
}

/*-------------------------------------------------------------------------
 *
 * json.c
 *		json-c documents: members, strings, arrays (LookupEvents replies).
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/json.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "ct_json.h"

#define J(x) ((json_object *) (x))

CtJson *
ct_json_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_tokener *tok = json_tokener_new();
	json_object *obj;

	if (!tok)
	{
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, text, (int) len);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success)
	{
		enum json_tokener_error e = json_tokener_get_error(tok);

		snprintf(err, errlen, "%s", e == json_tokener_continue ? "unexpected end of record" :
				 json_tokener_error_desc(e));
		json_object_put(obj);
		obj = NULL;
	}
	else if ((size_t) json_tokener_get_parse_end(tok) != len)
	{
		snprintf(err, errlen, "unexpected data after the record");
		json_object_put(obj);
		obj = NULL;
	}
	else if (!json_object_is_type(obj, json_type_object))
	{
		snprintf(err, errlen, "record is not a JSON object");
		json_object_put(obj);
		obj = NULL;
	}
	json_tokener_free(tok);
	return (CtJson *) obj;
}

void
ct_json_free_doc(CtJson *doc)
{
	json_object_put(J(doc));
}

CtJson *
ct_json_member(CtJson *obj, const char *name)
{
	json_object *v;

	if (obj && json_object_is_type(J(obj), json_type_object) &&
		json_object_object_get_ex(J(obj), name, &v))
		return (CtJson *) v;
	return NULL;
}

/* A non-empty string member, or NULL. */
const char *
ct_json_string(CtJson *obj, const char *name)
{
	CtJson	   *v = ct_json_member(obj, name);

	if (v && json_object_is_type(J(v), json_type_string) && json_object_get_string_len(J(v)) > 0)
		return json_object_get_string(J(v));
	return NULL;
}

/* An integer member: false if absent or not an integer. */
bool
ct_json_int(CtJson *obj, const char *name, long long *out)
{
	CtJson	   *v = ct_json_member(obj, name);

	if (!v || !json_object_is_type(J(v), json_type_int))
		return false;
	*out = (long long) json_object_get_int64(J(v));
	return true;
}

int
ct_json_array_length(CtJson *arr)
{
	if (!arr || !json_object_is_type(J(arr), json_type_array))
		return 0;
	return (int) json_object_array_length(J(arr));
}

CtJson *
ct_json_array_get(CtJson *arr, int i)
{
	return (CtJson *) json_object_array_get_idx(J(arr), (size_t) i);
}

/*-------------------------------------------------------------------------
 *
 * ct_json.h
 *		Parsed JSON documents (LookupEvents replies) through json-c.
 *
 * A thin layer over json-c, kept on the client side of the split: json-c's
 * type json_object has the name of a PostgreSQL function, so the two
 * headers cannot meet in one file.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_json.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_JSON_H
#define CT_JSON_H

#include <stdbool.h>
#include <stddef.h>

typedef struct CtJson CtJson;	/* a json-c object */

extern CtJson *ct_json_parse(const char *text, size_t len, char *err, size_t errlen);
extern void ct_json_free_doc(CtJson *doc);
extern CtJson *ct_json_member(CtJson *obj, const char *name);
extern const char *ct_json_string(CtJson *obj, const char *name);
extern bool ct_json_int(CtJson *obj, const char *name, long long *out);
extern int	ct_json_array_length(CtJson *arr);
extern CtJson *ct_json_array_get(CtJson *arr, int i);

#endif							/* CT_JSON_H */

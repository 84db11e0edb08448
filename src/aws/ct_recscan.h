/*-------------------------------------------------------------------------
 *
 * ct_recscan.h
 *		Reading values straight out of a record's JSON text.
 *
 * A record is scanned once: the scan checks that it is well-formed JSON and
 * notes where each top-level member's value lies.  A column then takes its
 * value from that span -- a string unescaped, anything else as its JSON
 * text, verbatim -- without building a document tree.  Nested paths scan
 * only the object they go through.
 *
 * The record reader (ct_records.h) scans each record as it finds it, and
 * offers the index it made: ct_rec_index() of that record's text, before
 * the reader's next call, takes it instead of scanning again.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_recscan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_RECSCAN_H
#define CT_RECSCAN_H

#include <stdbool.h>
#include <stddef.h>

#include "ct_buf.h"

typedef struct CtSpan
{
	const char *p;				/* first byte of the value */
	size_t		len;
	char		type;			/* 's'tring 'n'umber 'o'bject 'a'rray 't'rue 'f'alse 'z' null */
} CtSpan;

/*
 * Members indexed by position; a wider object keeps where the rest begins,
 * and a lookup scans the rest again (CloudTrail records have about 30).
 */
#define CT_REC_MAX_MEMBERS 128

typedef struct CtRecMember
{
	const char *key;			/* raw key bytes, between the quotes */
	size_t		klen;
	CtSpan		v;
} CtRecMember;

typedef struct CtRecIndex
{
	int			n;
	const char *more;			/* NULL, or the name of member 129 */
	const char *end;			/* end of the object's text */
	bool		nul_escape;		/* a string holds \u0000 somewhere */
	const CtRecMember *m;		/* the members: own, or those of the index
								 * a reader made of the same text */
	CtRecMember own[CT_REC_MAX_MEMBERS];
} CtRecIndex;

extern bool ct_rec_index(const char *p, size_t len, CtRecIndex *idx, char *err, size_t errlen);
extern bool ct_rec_scan_ahead(const char *p, size_t avail, CtRecIndex *idx, size_t *len);
extern void ct_rec_ahead(const CtRecIndex *idx, const char *p, size_t len);
extern void ct_rec_ahead_forget(const CtRecIndex *idx);
extern bool ct_rec_member(const CtRecIndex *idx, const char *key, CtSpan *out);
extern bool ct_rec_path(const CtRecIndex *top, char *const *path, int n, CtSpan *out);
extern bool ct_span_string(const CtSpan *s, CtBuf *out);
extern bool ct_span_has_nul_escape(const char *p, size_t len);
extern size_t ct_utf8_invalid_at(const char *p, size_t len);
extern const char *ct_rec_username(const CtRecIndex *top, CtBuf *buf);

#endif							/* CT_RECSCAN_H */

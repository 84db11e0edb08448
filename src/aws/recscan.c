/*-------------------------------------------------------------------------
 *
 * recscan.c
 *		A validating one-pass JSON scanner for CloudTrail records.
 *
 * The grammar is RFC 8259's: objects, arrays, strings with escapes
 * (\uXXXX included), numbers, true, false, null; anything else is an error
 * with the byte offset.  Nesting is limited to CT_MAX_DEPTH levels.  The
 * record must be UTF-8 without NUL bytes, which one fast pass over it
 * checks.  One leniency, for speed: other raw control characters inside
 * strings are let through (a jsonb column still rejects them).
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/recscan.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_recscan.h"

#define CT_MAX_DEPTH 256

typedef struct Scan
{
	const char *p;
	const char *end;
	const char *start;
	char	   *err;
	size_t		errlen;
	bool		nul_escape;		/* saw \u0000 */
} Scan;

static bool
fail(Scan *s, const char *what)
{
	if (s->err && s->err[0] == '\0')
		snprintf(s->err, s->errlen, "%s at byte %zu of the record", what, (size_t) (s->p - s->start));
	return false;
}

static inline void
ws(Scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
		s->p++;
}

/*
 * At the opening quote; leaves p after the closing one.  Escapes are
 * checked; the bytes between them are jumped over with memchr.
 */
static bool
scan_string(Scan *s)
{
	s->p++;
	for (;;)
	{
		const char *q = memchr(s->p, '"', (size_t) (s->end - s->p));
		const char *bs;

		if (q == NULL)
		{
			s->p = s->end;
			return fail(s, "unterminated string");
		}
		bs = memchr(s->p, '\\', (size_t) (q - s->p));
		if (bs == NULL)
		{
			s->p = q + 1;
			return true;
		}
		/* an escape before the quote: check it and go on after it */
		s->p = bs + 1;
		if (s->p >= s->end)
			break;
		switch (*s->p)
		{
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				s->p++;
				break;
			case 'u':
				if (s->end - s->p < 5 || ct_hexval(s->p[1]) < 0 || ct_hexval(s->p[2]) < 0 ||
					ct_hexval(s->p[3]) < 0 || ct_hexval(s->p[4]) < 0)
					return fail(s, "invalid \\u escape");
				if (memcmp(s->p + 1, "0000", 4) == 0)
					s->nul_escape = true;
				s->p += 5;
				break;
			default:
				return fail(s, "invalid escape in a string");
		}
	}
	return fail(s, "unterminated string");
}

static bool scan_value(Scan *s, int depth, CtSpan *out);

static bool
scan_number(Scan *s)
{
	const char *b = s->p;

	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p >= s->end)
		return fail(s, "invalid number");
	if (*s->p == '0')
		s->p++;
	else if (*s->p >= '1' && *s->p <= '9')
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	else
		return fail(s, "invalid value");
	if (s->p < s->end && *s->p == '.')
	{
		s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
	{
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p >= s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	return s->p > b;
}

static bool
literal(Scan *s, const char *word, char type, CtSpan *out)
{
	size_t		n = strlen(word);

	if ((size_t) (s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid value");
	s->p += n;
	out->type = type;
	return true;
}

/* Object members: indexes them into idx when given (top level of the scan). */
static bool
scan_object(Scan *s, int depth, CtRecIndex *idx)
{
	s->p++;						/* '{' */
	ws(s);
	if (s->p < s->end && *s->p == '}')
	{
		s->p++;
		return true;
	}
	for (;;)
	{
		const char *k,
				   *kend;
		CtSpan		v;

		ws(s);
		if (s->p >= s->end || *s->p != '"')
			return fail(s, "expected a member name");
		k = s->p + 1;
		if (!scan_string(s))
			return false;
		kend = s->p - 1;
		ws(s);
		if (s->p >= s->end || *s->p != ':')
			return fail(s, "expected ':'");
		s->p++;
		if (!scan_value(s, depth + 1, &v))
			return false;
		if (idx && idx->n == CT_REC_MAX_MEMBERS && idx->more == NULL)
			idx->more = k - 1;
		else if (idx && idx->n < CT_REC_MAX_MEMBERS)
		{
			idx->m[idx->n].key = k;
			idx->m[idx->n].klen = (size_t) (kend - k);
			idx->m[idx->n].v = v;
			idx->n++;
		}
		ws(s);
		if (s->p < s->end && *s->p == ',')
		{
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == '}')
		{
			s->p++;
			return true;
		}
		return fail(s, "expected ',' or '}'");
	}
}

static bool
scan_array(Scan *s, int depth)
{
	s->p++;						/* '[' */
	ws(s);
	if (s->p < s->end && *s->p == ']')
	{
		s->p++;
		return true;
	}
	for (;;)
	{
		CtSpan		v;

		if (!scan_value(s, depth + 1, &v))
			return false;
		ws(s);
		if (s->p < s->end && *s->p == ',')
		{
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ']')
		{
			s->p++;
			return true;
		}
		return fail(s, "expected ',' or ']'");
	}
}

static bool
scan_value(Scan *s, int depth, CtSpan *out)
{
	bool		ok;

	if (depth > CT_MAX_DEPTH)
		return fail(s, "nesting too deep");
	ws(s);
	if (s->p >= s->end)
		return fail(s, "unexpected end of the record");
	out->p = s->p;
	switch (*s->p)
	{
		case '{':
			out->type = 'o';
			ok = scan_object(s, depth, NULL);
			break;
		case '[':
			out->type = 'a';
			ok = scan_array(s, depth);
			break;
		case '"':
			out->type = 's';
			ok = scan_string(s);
			break;
		case 't':
			ok = literal(s, "true", 't', out);
			break;
		case 'f':
			ok = literal(s, "false", 'f', out);
			break;
		case 'n':
			ok = literal(s, "null", 'z', out);
			break;
		default:
			out->type = 'n';
			ok = scan_number(s);
			break;
	}
	out->len = (size_t) (s->p - out->p);
	return ok;
}

/* Check that p..p+len is one JSON object and index its members. */
static bool
index_object(const char *p, size_t len, CtRecIndex *idx, char *err, size_t errlen)
{
	Scan		s = {p, p + len, p, err, errlen, false};

	if (err)
		err[0] = '\0';
	idx->n = 0;
	idx->more = NULL;
	idx->end = p + len;
	ws(&s);
	if (s.p >= s.end || *s.p != '{')
		return fail(&s, "record is not a JSON object");
	if (!scan_object(&s, 1, idx))
		return false;
	idx->nul_escape = s.nul_escape;
	ws(&s);
	if (s.p != s.end)
		return fail(&s, "unexpected data after the record");
	return true;
}

/*
 * Offset of the first byte of p..p+len that is not valid UTF-8 (RFC 3629:
 * no overlong forms, no surrogates, nothing past U+10FFFF) or is NUL; len
 * if there is none.  Eight bytes at a time while they are ASCII.
 */
size_t
ct_utf8_invalid_at(const char *p, size_t len)
{
	const unsigned char *u = (const unsigned char *) p;
	size_t		i = 0;

	while (i < len)
	{
		unsigned	c;
		int			n;
		unsigned	lo = 0x80,
					hi = 0xBF;

		if (len - i >= 8)
		{
			uint64_t	w;

			memcpy(&w, u + i, 8);
			/* no high bit and no zero byte: all eight are plain ASCII */
			if (((w | ((w - 0x0101010101010101ULL) & ~w)) & 0x8080808080808080ULL) == 0)
			{
				i += 8;
				continue;
			}
		}
		c = u[i];
		if (c == 0)
			return i;
		if (c < 0x80)
		{
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF)
			n = 1;
		else if (c >= 0xE0 && c <= 0xEF)
		{
			/* E0: no overlong forms; ED: no surrogates */
			n = 2;
			lo = c == 0xE0 ? 0xA0 : 0x80;
			hi = c == 0xED ? 0x9F : 0xBF;
		}
		else if (c >= 0xF0 && c <= 0xF4)
		{
			/* F0: no overlong forms; F4: nothing past U+10FFFF */
			n = 3;
			lo = c == 0xF0 ? 0x90 : 0x80;
			hi = c == 0xF4 ? 0x8F : 0xBF;
		}
		else
			return i;
		if (len - i <= (size_t) n || u[i + 1] < lo || u[i + 1] > hi)
			return i;
		for (int k = 2; k <= n; k++)
			if (u[i + k] < 0x80 || u[i + k] > 0xBF)
				return i;
		i += n + 1;
	}
	return len;
}

/* The dot path of the member whose text holds byte off of the object p. */
static void
path_at(const char *p, size_t len, size_t off, CtBuf *path, int depth)
{
	CtRecIndex *idx = malloc(sizeof(CtRecIndex));
	const char *at = p + off;

	if (idx && depth < 16 && index_object(p, len, idx, NULL, 0))
	{
		for (int i = 0; i < idx->n; i++)
		{
			const CtSpan *v = &idx->m[i].v;

			if (at >= idx->m[i].key && at < idx->m[i].key + idx->m[i].klen)
			{
				ct_buf_puts(path, path->len ? "." : "");
				ct_buf_puts(path, "(a member name)");
				break;
			}
			if (at < v->p || at >= v->p + v->len)
				continue;
			if (path->len)
				ct_buf_putc(path, '.');
			ct_buf_append(path, idx->m[i].key, idx->m[i].klen);
			if (v->type == 'o')
				path_at(v->p, v->len, (size_t) (at - v->p), path, depth + 1);
			break;
		}
	}
	free(idx);
}

/*
 * Check that p..p+len is one JSON object (white space around it allowed)
 * in UTF-8, and index its members.  On failure, err says what and where.
 */
bool
ct_rec_index(const char *p, size_t len, CtRecIndex *idx, char *err, size_t errlen)
{
	size_t		bad;

	if (!index_object(p, len, idx, err, errlen))
		return false;
	if ((bad = ct_utf8_invalid_at(p, len)) < len)
	{
		CtBuf		path = CT_BUF_INIT;

		path_at(p, len, bad, &path, 0);
		if (err)
			snprintf(err, errlen, "%s in field \"%s\" (byte %zu of the record)",
					 p[bad] ? "invalid UTF-8" : "a NUL byte",
					 path.len ? path.data : "(none)", bad);
		ct_buf_free(&path);
		return false;
	}
	return true;
}

/*
 * Is the raw member name k (klen bytes between the quotes) the name key?
 * A name written with escapes is compared unescaped, as jsonb reads it.
 */
static bool
name_is(const char *k, size_t klen, const char *key, size_t n)
{
	CtSpan		quoted = {k - 1, klen + 2, 's'};
	CtBuf		b = CT_BUF_INIT;
	bool		same;

	if (klen == n && memcmp(k, key, n) == 0)
		return true;
	/* an escape always makes the raw name longer than what it stands for */
	if (klen <= n || memchr(k, '\\', klen) == NULL)
		return false;
	same = ct_span_string(&quoted, &b) && b.len == n && memcmp(b.data, key, n) == 0;
	ct_buf_free(&b);
	return same;
}

/*
 * The value of member key.  A name given twice takes its last value, as
 * jsonb does, so a column agrees with the record column.
 */
bool
ct_rec_member(const CtRecIndex *idx, const char *key, CtSpan *out)
{
	size_t		n = strlen(key);
	bool		found = false;

	if (idx->more)
	{
		/* members past the index: the object was checked, so just walk it */
		Scan		s = {idx->more, idx->end, idx->more, NULL, 0};

		while (s.p < s.end && *s.p == '"')
		{
			const char *k = s.p + 1;
			size_t		klen;
			CtSpan		v;

			if (!scan_string(&s))
				break;
			klen = (size_t) (s.p - 1 - k);
			ws(&s);
			s.p++;				/* ':' */
			if (!scan_value(&s, 1, &v))
				break;
			if (name_is(k, klen, key, n))
			{
				*out = v;
				found = true;
			}
			ws(&s);
			if (s.p >= s.end || *s.p != ',')
				break;
			s.p++;
			ws(&s);
		}
		if (found)
			return true;
	}
	for (int i = idx->n - 1; i >= 0; i--)
		if (name_is(idx->m[i].key, idx->m[i].klen, key, n))
		{
			*out = idx->m[i].v;
			return true;
		}
	return false;
}

/* The value at a dot path; false if any step is missing or not an object. */
bool
ct_rec_path(const CtRecIndex *top, char *const *path, int n, CtSpan *out)
{
	CtRecIndex	sub;

	if (!ct_rec_member(top, path[0], out))
		return false;
	for (int i = 1; i < n; i++)
	{
		if (out->type != 'o' || !index_object(out->p, out->len, &sub, NULL, 0) ||
			!ct_rec_member(&sub, path[i], out))
			return false;
	}
	return true;
}

static void
put_utf8(CtBuf *b, unsigned cp)
{
	char		u[4];
	int			n;

	if (cp < 0x80)
	{
		u[0] = (char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		u[0] = (char) (0xC0 | (cp >> 6));
		u[1] = (char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		u[0] = (char) (0xE0 | (cp >> 12));
		u[1] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		u[0] = (char) (0xF0 | (cp >> 18));
		u[1] = (char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	ct_buf_append(b, u, n);
}

/*
 * The content of a string span, unescaped, into out (reset first).  False
 * for \u0000, which no PostgreSQL text can hold, or a lone surrogate.
 */
bool
ct_span_string(const CtSpan *s, CtBuf *out)
{
	const char *p = s->p + 1;
	const char *e = s->p + s->len - 1;

	ct_buf_reset(out);
	ct_buf_reserve(out, s->len);
	while (p < e)
	{
		const char *bs = memchr(p, '\\', (size_t) (e - p));

		if (!bs)
		{
			ct_buf_append(out, p, (size_t) (e - p));
			break;
		}
		ct_buf_append(out, p, (size_t) (bs - p));
		p = bs + 1;
		switch (*p)
		{
			case 'b':
				ct_buf_putc(out, '\b');
				break;
			case 'f':
				ct_buf_putc(out, '\f');
				break;
			case 'n':
				ct_buf_putc(out, '\n');
				break;
			case 'r':
				ct_buf_putc(out, '\r');
				break;
			case 't':
				ct_buf_putc(out, '\t');
				break;
			case 'u':
				{
					unsigned	cp = (unsigned) (ct_hexval(p[1]) << 12 | ct_hexval(p[2]) << 8 |
												 ct_hexval(p[3]) << 4 | ct_hexval(p[4]));

					p += 4;
					if (cp == 0)
						return false;
					if (cp >= 0xD800 && cp <= 0xDBFF)
					{
						unsigned	lo;

						if (e - p < 7 || p[1] != '\\' || p[2] != 'u')
							return false;
						lo = (unsigned) (ct_hexval(p[3]) << 12 | ct_hexval(p[4]) << 8 |
										 ct_hexval(p[5]) << 4 | ct_hexval(p[6]));
						if (lo < 0xDC00 || lo > 0xDFFF)
							return false;
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						p += 6;
					}
					else if (cp >= 0xDC00 && cp <= 0xDFFF)
						return false;
					put_utf8(out, cp);
					break;
				}
			default:			/* " \ / */
				ct_buf_putc(out, *p);
				break;
		}
		p++;
	}
	return !out->failed;
}

/*
 * Does the JSON text p..p+len (valid, as the scan checked) hold \u0000?
 * Outside strings there are no backslashes, so every one starts an escape.
 */
bool
ct_span_has_nul_escape(const char *p, size_t len)
{
	const char *e = p + len;

	while ((p = memchr(p, '\\', (size_t) (e - p))) != NULL)
	{
		if (e - p >= 6 && memcmp(p + 1, "u0000", 5) == 0)
			return true;
		p += 2;
		if (p >= e)
			break;
	}
	return false;
}

static const char *
string_member(const CtRecIndex *idx, const char *key, CtBuf *buf)
{
	CtSpan		v;

	if (!ct_rec_member(idx, key, &v) || v.type != 's' || v.len <= 2 || !ct_span_string(&v, buf))
		return NULL;
	return buf->data;
}

/*
 * The user name of a record: userIdentity.userName; for AssumedRole and
 * FederatedUser the part of the ARN after its last '/' (the session or
 * federated user name); "root" for Root; the invoking service for
 * AWSService.  The result is in buf.
 */
const char *
ct_rec_username(const CtRecIndex *top, CtBuf *buf)
{
	CtSpan		ui;
	CtRecIndex	idx;
	const char *v;
	char		type[32];

	if (!ct_rec_member(top, "userIdentity", &ui) || ui.type != 'o' ||
		!index_object(ui.p, ui.len, &idx, NULL, 0))
		return NULL;
	if ((v = string_member(&idx, "userName", buf)) != NULL)
		return v;
	if ((v = string_member(&idx, "type", buf)) == NULL)
		return NULL;
	snprintf(type, sizeof(type), "%s", v);
	if (strcmp(type, "AssumedRole") == 0 || strcmp(type, "FederatedUser") == 0)
	{
		const char *arn = string_member(&idx, "arn", buf);
		const char *slash = arn ? strrchr(arn, '/') : NULL;

		if (!slash || !slash[1])
			return NULL;
		memmove(buf->data, slash + 1, strlen(slash + 1) + 1);
		buf->len = strlen(buf->data);
		return buf->data;
	}
	if (strcmp(type, "Root") == 0)
	{
		ct_buf_reset(buf);
		ct_buf_puts(buf, "root");
		return buf->data;
	}
	if (strcmp(type, "AWSService") == 0)
		return string_member(&idx, "invokedBy", buf);
	return NULL;
}

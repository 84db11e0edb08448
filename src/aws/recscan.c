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
#ifdef __SSE2__
#include <emmintrin.h>
#endif

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
	const char *bad;			/* first byte of a string that is not UTF-8 or
								 * is NUL; NULL: none yet */
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
 * Word tricks for the string scan: eight bytes at a time, a mask with the
 * high bit set in each byte that is a quote, a backslash, NUL or not ASCII.
 * zero_bytes() is exact (no carry crosses from one byte into the next), so
 * the lowest flagged byte in memory order is the first such byte.
 */
#define ONES UINT64_C(0x0101010101010101)
#define HIGHS UINT64_C(0x8080808080808080)

static inline uint64_t
zero_bytes(uint64_t x)
{
	return ~(((x & ~HIGHS) + ~HIGHS) | x | ~HIGHS);
}

static inline uint64_t
special_bytes(uint64_t w)
{
	return zero_bytes(w ^ (ONES * '"')) | zero_bytes(w ^ (ONES * '\\')) | zero_bytes(w) | (w & HIGHS);
}

/* Offset in the word of the first byte flagged in mask m (not 0). */
static inline int
first_flagged(uint64_t m)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	return __builtin_clzll(m) >> 3;
#else
	return __builtin_ctzll(m) >> 3;
#endif
}

#ifdef __SSE2__
/* The same mask for sixteen bytes, a bit a byte. */
static inline int
special16(const unsigned char *u)
{
	__m128i		v = _mm_loadu_si128((const __m128i *) u);

	return _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
													   _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
										  _mm_cmpeq_epi8(v, _mm_setzero_si128()))) |
		_mm_movemask_epi8(v);
}
#endif

/*
 * Length of the UTF-8 sequence at u (its first byte not ASCII), before e;
 * 0 if it is not valid (RFC 3629, as ct_utf8_invalid_at).
 */
static inline int
utf8_length(const unsigned char *u, const unsigned char *e)
{
	unsigned	c = u[0];
	int			n;
	unsigned	lo = 0x80,
				hi = 0xBF;

	if (c >= 0xC2 && c <= 0xDF)
		n = 1;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 3;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	}
	else
		return 0;
	if (e - u <= n || u[1] < lo || u[1] > hi)
		return 0;
	for (int k = 2; k <= n; k++)
		if (u[k] < 0x80 || u[k] > 0xBF)
			return 0;
	return n + 1;
}

/*
 * An escape that is not JSON, p at the character after the backslash.  A
 * string with no closing quote ahead is reported as unterminated instead,
 * whatever it holds before the end.
 */
static bool
bad_escape(Scan *s, const char *what)
{
	if (memchr(s->p, '"', (size_t) (s->end - s->p)) == NULL)
	{
		s->p = s->end;
		return fail(s, "unterminated string");
	}
	return fail(s, what);
}

/*
 * The rest of a string from u, after its opening quote; leaves p after the
 * closing one.  Escapes are checked, and so is the text: the first byte that is not UTF-8, or is NUL,
 * goes to s->bad, and the scan goes on (a parse error, later, is reported
 * before it).  Plain ASCII is skipped a word at a time.
 */
static bool
scan_string_from(Scan *s, const unsigned char *u)
{
	const unsigned char *e = (const unsigned char *) s->end;

	for (;;)
	{
		unsigned	c;

#ifdef __SSE2__
		while (e - u >= 16)
		{
			int			m = special16(u);

			if (m != 0)
			{
				u += __builtin_ctz((unsigned) m);
				goto special;
			}
			u += 16;
		}
#endif
		while (e - u >= 8)
		{
			uint64_t	w,
						m;

			memcpy(&w, u, 8);
			if ((m = special_bytes(w)) != 0)
			{
				u += first_flagged(m);
				goto special;
			}
			u += 8;
		}
		while (u < e && *u != '"' && *u != '\\' && *u != 0 && *u < 0x80)
			u++;
		if (u >= e)
		{
			s->p = s->end;
			return fail(s, "unterminated string");
		}
special:
		c = *u;
		if (c == '"')
		{
			s->p = (const char *) u + 1;
			return true;
		}
		if (c != '\\')
		{
			int			n = c ? utf8_length(u, e) : 0;

			if (n == 0)
			{
				if (!s->bad)
					s->bad = (const char *) u;
				n = 1;
			}
			u += n;
			continue;
		}
		/* an escape */
		s->p = (const char *) u + 1;
		if (s->p >= s->end)
			return fail(s, "unterminated string");
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
					return bad_escape(s, "invalid \\u escape");
				if (memcmp(s->p + 1, "0000", 4) == 0)
					s->nul_escape = true;
				s->p += 5;
				break;
			default:
				return bad_escape(s, "invalid escape in a string");
		}
		u = (const unsigned char *) s->p;
	}
}

/*
 * At the opening quote; leaves p after the closing one.  Most strings of a
 * record are short, plain ASCII: one look at the sixteen bytes after the
 * quote, inline, finds their end.
 */
static inline bool
scan_string(Scan *s)
{
	const unsigned char *u = (const unsigned char *) s->p + 1;

#ifdef __SSE2__
	if (s->end - (const char *) u >= 16)
	{
		int			m = special16(u);

		if (m != 0 && u[__builtin_ctz((unsigned) m)] == '"')
		{
			s->p = (const char *) u + __builtin_ctz((unsigned) m) + 1;
			return true;
		}
	}
#endif
	return scan_string_from(s, u);
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

/* scan_value(), with strings (most values) inline. */
static inline bool
scan_element(Scan *s, int depth, CtSpan *out)
{
	bool		ok;

	ws(s);
	if (s->p >= s->end || *s->p != '"' || depth > CT_MAX_DEPTH)
		return scan_value(s, depth, out);
	out->p = s->p;
	out->type = 's';
	ok = scan_string(s);
	out->len = (size_t) (s->p - out->p);
	return ok;
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
		if (!scan_element(s, depth + 1, &v))
			return false;
		if (idx && idx->n == CT_REC_MAX_MEMBERS && idx->more == NULL)
			idx->more = k - 1;
		else if (idx && idx->n < CT_REC_MAX_MEMBERS)
		{
			idx->own[idx->n].key = k;
			idx->own[idx->n].klen = (size_t) (kend - k);
			idx->own[idx->n].v = v;
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

		if (!scan_element(s, depth + 1, &v))
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

/*
 * Check that the object at s->p (white space before it allowed) is JSON and
 * index its members; s->p ends after its closing brace.
 */
static bool
index_scan(Scan *s, CtRecIndex *idx)
{
	if (s->err)
		s->err[0] = '\0';
	idx->n = 0;
	idx->more = NULL;
	idx->m = idx->own;
	ws(s);
	if (s->p >= s->end || *s->p != '{')
		return fail(s, "record is not a JSON object");
	if (!scan_object(s, 1, idx))
		return false;
	idx->nul_escape = s->nul_escape;
	idx->end = s->p;
	return true;
}

/*
 * Check that p..p+len is one JSON object and index its members; *bad (when
 * not NULL) is where its first string byte that is not UTF-8 or is NUL is,
 * or NULL.
 */
static bool
index_object(const char *p, size_t len, CtRecIndex *idx, char *err, size_t errlen, const char **bad)
{
	Scan		s = {p, p + len, p, err, errlen, false, NULL};

	if (!index_scan(&s, idx))
		return false;
	idx->end = p + len;
	if (bad)
		*bad = s.bad;
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

		if (len - i >= 8)
		{
			uint64_t	w;

			memcpy(&w, u + i, 8);
			/* no high bit and no zero byte: all eight are plain ASCII */
			if (((w & HIGHS) | zero_bytes(w)) == 0)
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
		if ((n = utf8_length(u + i, u + len)) == 0)
			return i;
		i += (size_t) n;
	}
	return len;
}

/* The dot path of the member whose text holds byte off of the object p. */
static void
path_at(const char *p, size_t len, size_t off, CtBuf *path, int depth)
{
	CtRecIndex *idx = malloc(sizeof(CtRecIndex));
	const char *at = p + off;

	if (idx && depth < 16 && index_object(p, len, idx, NULL, 0, NULL))
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
 * The index a reader made of the record it returned last (ct_rec_ahead):
 * the text, and the index, stay as they are until the reader's next call,
 * which forgets them first.
 */
static const CtRecIndex *ahead;
static const char *ahead_text;
static size_t ahead_len;

/*
 * Check that p..p+len is one JSON object (white space around it allowed)
 * in UTF-8, and index its members.  On failure, err says what and where.
 * The record a reader just indexed is not scanned again: idx takes its
 * index (members and all, which stay valid as long as the text does).
 */
bool
ct_rec_index(const char *p, size_t len, CtRecIndex *idx, char *err, size_t errlen)
{
	const char *bad;

	if (ahead && p == ahead_text && len == ahead_len)
	{
		idx->n = ahead->n;
		idx->more = ahead->more;
		idx->end = ahead->end;
		idx->nul_escape = ahead->nul_escape;
		idx->m = ahead->m;
		return true;
	}
	if (!index_object(p, len, idx, err, errlen, &bad))
		return false;
	if (bad)
	{
		CtBuf		path = CT_BUF_INIT;
		size_t		off = (size_t) (bad - p);

		path_at(p, len, off, &path, 0);
		if (err)
			snprintf(err, errlen, "%s in field \"%s\" (byte %zu of the record)",
					 *bad ? "invalid UTF-8" : "a NUL byte",
					 path.len ? path.data : "(none)", off);
		ct_buf_free(&path);
		return false;
	}
	return true;
}

/*
 * For a reader: scan the record that begins at p (its '{'), of which avail
 * bytes are there, into idx.  True, with *len the record's length, when it
 * is all there and as ct_rec_index() wants it; false otherwise (cut short,
 * or malformed: the reader then finds its end the slow way, and
 * ct_rec_index() says what is wrong with it).
 */
bool
ct_rec_scan_ahead(const char *p, size_t avail, CtRecIndex *idx, size_t *len)
{
	Scan		s = {p, p + avail, p, NULL, 0, false, NULL};

	if (!index_scan(&s, idx) || s.bad)
		return false;
	*len = (size_t) (s.p - p);
	return true;
}

/* Offer idx, the index of the record p..p+len, to ct_rec_index(); NULL: none. */
void
ct_rec_ahead(const CtRecIndex *idx, const char *p, size_t len)
{
	ahead = idx;
	ahead_text = p;
	ahead_len = len;
}

/* Withdraw idx, if it is the index on offer. */
void
ct_rec_ahead_forget(const CtRecIndex *idx)
{
	if (ahead == idx)
		ct_rec_ahead(NULL, NULL, 0);
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
		Scan		s = {idx->more, idx->end, idx->more, NULL, 0, false, NULL};

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
		if (out->type != 'o' || !index_object(out->p, out->len, &sub, NULL, 0, NULL) ||
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
		!index_object(ui.p, ui.len, &idx, NULL, 0, NULL))
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

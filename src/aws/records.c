/*-------------------------------------------------------------------------
 *
 * records.c
 *		Streaming gunzip and a splitter for {"Records":[ ... ]}.
 *
 * The splitter is a small state machine over the inflated bytes.  At the
 * start of each element of the top-level "Records" array it runs the
 * record scanner (recscan.c), which checks the record, indexes it and finds
 * its end in one pass; the splitter offers that index to the consumer's
 * ct_rec_index().  When the scanner cannot take the record (not all of it
 * inflated yet, or malformed), the splitter falls back on knowing just
 * enough JSON to find where the record ends (strings, escapes, nesting),
 * and the consumer's scan says what is wrong with it.  Other top-level
 * members are skipped.  Anything after the closing brace other than white
 * space is an error, and so is anything after the end of the gzip stream:
 * CloudTrail writes exactly one member per file.
 *
 * Inflating is most of the time a scan takes, so it uses Intel's ISA-L
 * (igzip: about 2.5 times zlib's speed) when the build found it, and zlib
 * otherwise (make WITH_ISAL=0).  A build with ISA-L keeps zlib's inflate
 * too, for the tests, which run every case through both and compare.  Both
 * paths check the same things -- gzip header, CRC-32 and length, nothing
 * after the member -- and report corrupt data with zlib's words.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/records.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#if CT_WITH_ISAL
#include <isa-l.h>
#endif

#include "ct_buf.h"
#include "ct_host.h"
#include "ct_records.h"
#include "ct_recscan.h"

#define INFLATE_CHUNK (64 * 1024)

#ifndef CT_WITH_ISAL
#define CT_WITH_ISAL 0
#endif

typedef enum SplitState
{
	S_START,					/* before the top-level '{' */
	S_KEY_OR_END,				/* expecting a key or '}' */
	S_KEY,						/* inside a top-level key string */
	S_COLON,
	S_VALUE,					/* start of a top-level value */
	S_SKIP,						/* inside a skipped value */
	S_AFTER_VALUE,				/* expecting ',' or '}' */
	S_ELEM_OR_END,				/* in Records: expecting '{' or ']' */
	S_ELEM_FIRST,				/* in Records, right after '[' */
	S_RECORD,					/* inside a record object */
	S_AFTER_ELEM,				/* expecting ',' or ']' */
	S_TRAILER,					/* after the top-level '}' */
} SplitState;

struct CtRecordReader
{
	bool		gzipped;
	z_stream	zs;
	bool		zs_live;
#if CT_WITH_ISAL
	struct inflate_state *isal;	/* NULL: zlib inflates */
	struct isal_gzip_header gzh;
	bool		isal_hdr_done;	/* the gzip header has been read */
	uint8_t		tail[8];		/* the last bytes inflated: the trailer, at the end */
#endif
	bool		gz_done;		/* the gzip member ended, trailer checked */
	bool		eof;			/* no more input will come */
	CtBuf		in;				/* compressed bytes not yet inflated */
	size_t		in_pos;
	CtBuf		out;			/* inflated bytes not yet consumed */
	size_t		scan;			/* splitter position in out */
	size_t		rec_start;		/* start of the record being scanned */
	SplitState	state;
	int			depth;
	bool		in_str;
	bool		esc;
	bool		key_is_records;
	bool		in_records;
	bool		saw_records;
	size_t		key_len;
	char		key[16];
	char		error[256];
	long long	records;
	long long	bytes_in;
	long long	bytes_out;
	long long	max_out;		/* inflated bytes allowed; 0: no limit */
	bool		no_index;		/* ct_rr_set_index(rr, false) */
	bool		indexed;		/* split() indexed the record it found */
	CtRecIndex *idx;			/* the index of the last record, on offer */
};

CtRecordReader *
ct_rr_create(bool gzipped)
{
	return ct_rr_create_with(gzipped, CT_INFLATE_DEFAULT);
}

/* The reader, inflating with the given library; NULL if it is not built in. */
CtRecordReader *
ct_rr_create_with(bool gzipped, CtInflater how)
{
	CtRecordReader *rr;

	if (how == CT_INFLATE_DEFAULT)
		how = CT_WITH_ISAL ? CT_INFLATE_ISAL : CT_INFLATE_ZLIB;
	if (how == CT_INFLATE_ISAL && !CT_WITH_ISAL)
		return NULL;
	rr = calloc(1, sizeof(CtRecordReader));
	if (!rr)
		return NULL;
	rr->gzipped = gzipped;
	if (!gzipped)
		return rr;
#if CT_WITH_ISAL
	if (how == CT_INFLATE_ISAL)
	{
		rr->isal = malloc(sizeof(struct inflate_state));
		if (!rr->isal)
		{
			free(rr);
			return NULL;
		}
		isal_inflate_init(rr->isal);
		/* the header is read apart (isal_read_gzip_header); verify the trailer */
		rr->isal->crc_flag = ISAL_GZIP_NO_HDR_VER;
		isal_gzip_header_init(&rr->gzh);
		return rr;
	}
#endif
	/* 16 + MAX_WBITS: gzip wrapper only */
	if (inflateInit2(&rr->zs, 16 + MAX_WBITS) != Z_OK)
	{
		free(rr);
		return NULL;
	}
	rr->zs_live = true;
	return rr;
}

/* "ISA-L 2.30.0", "zlib 1.2.13": the library and version, NULL if not built in. */
const char *
ct_rr_inflater(CtInflater how)
{
#if CT_WITH_ISAL
#define STR_(x) #x
#define STR(x) STR_(x)
	static const char isal[] = "ISA-L " STR(ISAL_MAJOR_VERSION) "." STR(ISAL_MINOR_VERSION) "." STR(ISAL_PATCH_VERSION);
#endif
	static char zlib[32];

	if (how == CT_INFLATE_DEFAULT)
		how = CT_WITH_ISAL ? CT_INFLATE_ISAL : CT_INFLATE_ZLIB;
#if CT_WITH_ISAL
	if (how == CT_INFLATE_ISAL)
		return isal;
#endif
	if (how != CT_INFLATE_ZLIB)
		return NULL;
	if (!zlib[0])
		snprintf(zlib, sizeof(zlib), "zlib %s", zlibVersion());
	return zlib;
}

void
ct_rr_destroy(CtRecordReader *rr)
{
	if (!rr)
		return;
	if (rr->idx)
	{
		ct_rec_ahead_forget(rr->idx);
		free(rr->idx);
	}
	if (rr->zs_live)
		inflateEnd(&rr->zs);
#if CT_WITH_ISAL
	free(rr->isal);
#endif
	ct_buf_free(&rr->in);
	ct_buf_free(&rr->out);
	free(rr);
}

bool
ct_rr_push(CtRecordReader *rr, const char *data, size_t len)
{
	rr->bytes_in += len;
	if (rr->in_pos > 0 && rr->in_pos == rr->in.len)
	{
		ct_buf_reset(&rr->in);
		rr->in_pos = 0;
	}
	ct_buf_append(&rr->in, data, len);
	return !rr->in.failed;
}

void
ct_rr_set_eof(CtRecordReader *rr)
{
	rr->eof = true;
}

/* Refuse objects that inflate to more than max_bytes (0: no limit). */
void
ct_rr_set_max_size(CtRecordReader *rr, long long max_bytes)
{
	rr->max_out = max_bytes;
}

/*
 * Scan each record for ct_rec_index() as it is found (the default), or
 * only find where it ends.
 */
void
ct_rr_set_index(CtRecordReader *rr, bool on)
{
	rr->no_index = !on;
}

const char *
ct_rr_error(const CtRecordReader *rr)
{
	return rr->error;
}

size_t
ct_rr_backlog(const CtRecordReader *rr)
{
	return rr->in.len - rr->in_pos;
}

long long
ct_rr_bytes_in(const CtRecordReader *rr)
{
	return rr->bytes_in;
}

static CtRecordStatus
fail(CtRecordReader *rr, const char *fmt, const char *arg)
{
	snprintf(rr->error, sizeof(rr->error), fmt, arg);
	return CT_REC_ERROR;
}

static bool
too_big(CtRecordReader *rr)
{
	if (rr->max_out <= 0 || rr->bytes_out <= rr->max_out)
		return false;
	snprintf(rr->error, sizeof(rr->error),
			 "file inflates to more than max_object_size (%lld bytes)", rr->max_out);
	return true;
}

/*
 * The inflater consumed "used" input bytes and wrote "made" at the end of
 * rr->out: account for them.  False when that went past max_object_size.
 */
static bool
took(CtRecordReader *rr, size_t used, size_t made, bool *progress)
{
	rr->in_pos += used;
	rr->out.len += made;
	rr->out.data[rr->out.len] = '\0';
	rr->bytes_out += made;
	*progress = used > 0 || made > 0;
	return !too_big(rr);
}

#if CT_WITH_ISAL
/* zlib's words for what ISA-L found wrong */
static const char *
isal_error(const CtRecordReader *rr, int r)
{
	switch (r)
	{
		case ISAL_INVALID_WRAPPER:
			return "incorrect header check";
		case ISAL_UNSUPPORTED_METHOD:
			return "unknown compression method";
		case ISAL_INCORRECT_CHECKSUM:
			if (!rr->isal_hdr_done)
				return "header crc mismatch";
			/* as zlib: the CRC-32 first, then the length */
			if (rr->isal->crc != (uint32_t) (rr->tail[0] | rr->tail[1] << 8 | rr->tail[2] << 16 |
											 (uint32_t) rr->tail[3] << 24))
				return "incorrect data check";
			return "incorrect length check";
		case ISAL_INVALID_BLOCK:
			return "invalid block";
		case ISAL_INVALID_SYMBOL:
			return "invalid code";
		case ISAL_INVALID_LOOKBACK:
			return "invalid distance too far back";
		default:
			return "corrupt stream";
	}
}

/*
 * inflate_more's ISA-L half: the header first, with ISA-L's parser (it
 * resumes where a short read stopped it), then the deflate data, whose
 * CRC-32 and length ISA-L checks against the trailer.  What follows the
 * trailer is left in rr->in, as zlib leaves it, for the caller to refuse.
 */
static bool
inflate_isal(CtRecordReader *rr, size_t avail, bool *progress)
{
	struct inflate_state *st = rr->isal;
	uint8_t    *in = (uint8_t *) rr->in.data + rr->in_pos;
	int			r = ISAL_DECOMP_OK;
	size_t		used,
				made;

	st->next_in = in;
	st->avail_in = (uint32_t) (avail > (1u << 30) ? (1u << 30) : avail);
	st->next_out = (uint8_t *) rr->out.data + rr->out.len;
	st->avail_out = INFLATE_CHUNK;
	if (!rr->isal_hdr_done)
	{
		r = isal_read_gzip_header(st, &rr->gzh);
		if (r == ISAL_DECOMP_OK)
			rr->isal_hdr_done = true;
		/* reserved flag bits: zlib refuses them as soon as it sees them */
		if (r != ISAL_INVALID_WRAPPER && r != ISAL_UNSUPPORTED_METHOD && (rr->gzh.flags & 0xe0))
		{
			snprintf(rr->error, sizeof(rr->error), "invalid gzip data: unknown header flags set");
			return false;
		}
	}
	if (rr->isal_hdr_done && r == ISAL_DECOMP_OK)
		r = isal_inflate(st);
	used = (size_t) (st->next_in - in);
	made = INFLATE_CHUNK - st->avail_out;
	if (used >= sizeof(rr->tail))
		memcpy(rr->tail, st->next_in - sizeof(rr->tail), sizeof(rr->tail));
	else if (used > 0)
	{
		memmove(rr->tail, rr->tail + used, sizeof(rr->tail) - used);
		memcpy(rr->tail + sizeof(rr->tail) - used, in, used);
	}
	if (!took(rr, used, made, progress))
		return false;
	if (r < 0)
	{
		snprintf(rr->error, sizeof(rr->error), "invalid gzip data: %s", isal_error(rr, r));
		return false;
	}
	if (rr->isal_hdr_done && st->block_state == ISAL_BLOCK_FINISH)
		rr->gz_done = true;
	return true;
}
#endif

/*
 * Inflate up to one chunk of pending input into rr->out.  Returns false on
 * error (rr->error set); sets *progress when bytes were produced or input
 * consumed.
 */
static bool
inflate_more(CtRecordReader *rr, bool *progress)
{
	size_t		avail = rr->in.len - rr->in_pos;
	bool		dry = false;

#if CT_WITH_ISAL
	/* ISA-L reads ahead: its state may hold the trailer, and output, still */
	dry = rr->isal && rr->isal_hdr_done && !rr->gz_done;
#endif
	*progress = false;
	if (avail == 0 && !dry)
		return true;
	if (!rr->gzipped)
	{
		ct_buf_append(&rr->out, rr->in.data + rr->in_pos, avail);
		rr->in_pos += avail;
		rr->bytes_out += avail;
		*progress = true;
		if (rr->out.failed)
		{
			fail(rr, "%s", "out of memory");
			return false;
		}
		return !too_big(rr);
	}
	if (rr->gz_done)
	{
		/* only white space may never follow; any byte is a second member */
		snprintf(rr->error, sizeof(rr->error), "unexpected data after end of compressed stream");
		return false;
	}
	if (!ct_buf_reserve(&rr->out, INFLATE_CHUNK))
	{
		snprintf(rr->error, sizeof(rr->error), "out of memory");
		return false;
	}
#if CT_WITH_ISAL
	if (rr->isal)
		return inflate_isal(rr, avail, progress);
#endif
	rr->zs.next_in = (Bytef *) rr->in.data + rr->in_pos;
	rr->zs.avail_in = (uInt) (avail > (1u << 30) ? (1u << 30) : avail);
	rr->zs.next_out = (Bytef *) rr->out.data + rr->out.len;
	rr->zs.avail_out = INFLATE_CHUNK;
	{
		int			z = inflate(&rr->zs, Z_NO_FLUSH);
		size_t		used = (size_t) (rr->zs.next_in - (Bytef *) (rr->in.data + rr->in_pos));
		size_t		made = INFLATE_CHUNK - rr->zs.avail_out;

		if (!took(rr, used, made, progress))
			return false;
		if (z == Z_STREAM_END)
			rr->gz_done = true;
		else if (z != Z_OK && z != Z_BUF_ERROR)
		{
			snprintf(rr->error, sizeof(rr->error), "invalid gzip data: %s",
					 rr->zs.msg ? rr->zs.msg : "corrupt stream");
			return false;
		}
	}
	return true;
}

static inline bool
is_ws(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/*
 * The record that begins at rr->out offset i, scanned and indexed in one
 * pass, if it is all there and well-formed: *re is where it ends.  If not,
 * the splitter finds its end by counting brackets, and the consumer's
 * ct_rec_index() says what is wrong with it.
 */
static bool
index_record(CtRecordReader *rr, size_t i, size_t *re)
{
	size_t		len;

	rr->indexed = false;
	if (rr->no_index)
		return false;
	if (!rr->idx && (rr->idx = malloc(sizeof(CtRecIndex))) == NULL)
		return false;
	if (!ct_rec_scan_ahead(rr->out.data + i, rr->out.len - i, rr->idx, &len))
		return false;
	rr->indexed = true;
	*re = i + len;
	return true;
}

/*
 * Run the splitter over new bytes.  Returns CT_REC_RECORD with the record's
 * bounds, CT_REC_NEED_INPUT when it ran out of bytes, or an error.
 *
 * One function of some 220 lines on purpose: it is the per-byte loop of
 * every scan, a switch over the splitter's states that share the cursor
 * and the buffer in locals; each state is a short case of its own.
 */
static CtRecordStatus
split(CtRecordReader *rr, size_t *rs, size_t *re)
{
	const char *d = rr->out.data;
	size_t		n = rr->out.len;
	size_t		i = rr->scan;

	while (i < n)
	{
		char		c = d[i];

		switch (rr->state)
		{
			case S_START:
				if (is_ws(c))
					break;
				if (c != '{')
					return fail(rr, "%s", "file is not a JSON object");
				rr->state = S_KEY_OR_END;
				break;
			case S_KEY_OR_END:
			case S_AFTER_VALUE:
				if (is_ws(c))
					break;
				if (c == '}')
				{
					if (!rr->saw_records)
						return fail(rr, "%s", "file has no \"Records\" array");
					rr->state = S_TRAILER;
				}
				else if (rr->state == S_AFTER_VALUE && c == ',')
					rr->state = S_KEY_OR_END;
				else if (rr->state == S_KEY_OR_END && c == '"')
				{
					rr->state = S_KEY;
					rr->key_len = 0;
					rr->esc = false;
				}
				else
					return fail(rr, "%s", "malformed JSON at the top level of the file");
				break;
			case S_KEY:
				if (rr->esc)
					rr->esc = false;
				else if (c == '\\')
					rr->esc = true;
				else if (c == '"')
				{
					rr->key_is_records = rr->key_len == 7 && memcmp(rr->key, "Records", 7) == 0;
					rr->state = S_COLON;
					break;
				}
				if (rr->key_len < sizeof(rr->key))
					rr->key[rr->key_len] = c;
				rr->key_len++;
				break;
			case S_COLON:
				if (is_ws(c))
					break;
				if (c != ':')
					return fail(rr, "%s", "malformed JSON at the top level of the file");
				rr->state = S_VALUE;
				break;
			case S_VALUE:
				if (is_ws(c))
					break;
				if (rr->key_is_records)
				{
					if (rr->saw_records)
						return fail(rr, "%s", "file has more than one \"Records\" member");
					if (c != '[')
						return fail(rr, "%s", "\"Records\" is not an array");
					rr->saw_records = true;
					rr->state = S_ELEM_FIRST;
					break;
				}
				/* skip any other value: count brackets, mind strings */
				rr->state = S_SKIP;
				rr->depth = 0;
				rr->in_str = false;
				rr->esc = false;
				continue;		/* reprocess c in S_SKIP */
			case S_SKIP:
				if (rr->in_str)
				{
					if (rr->esc)
						rr->esc = false;
					else if (c == '\\')
						rr->esc = true;
					else if (c == '"')
					{
						rr->in_str = false;
						if (rr->depth == 0)
							rr->state = S_AFTER_VALUE;
					}
				}
				else if (c == '"')
					rr->in_str = true;
				else if (c == '{' || c == '[')
					rr->depth++;
				else if (c == '}' || c == ']')
				{
					if (rr->depth == 0)
					{
						rr->state = S_AFTER_VALUE;
						continue;	/* the brace closes the file */
					}
					if (--rr->depth == 0)
						rr->state = S_AFTER_VALUE;
				}
				else if (rr->depth == 0 && (c == ',' || is_ws(c)))
				{
					rr->state = S_AFTER_VALUE;
					continue;
				}
				break;
			case S_ELEM_FIRST:
			case S_ELEM_OR_END:
				if (is_ws(c))
					break;
				if (c == ']' && rr->state == S_ELEM_FIRST)
				{
					rr->state = S_AFTER_VALUE;
					break;
				}
				if (c != '{')
					return fail(rr, "%s", "an entry of \"Records\" is not a JSON object");
				if (index_record(rr, i, re))
				{
					*rs = i;
					rr->scan = *re;
					rr->state = S_AFTER_ELEM;
					return CT_REC_RECORD;
				}
				rr->state = S_RECORD;
				rr->rec_start = i;
				rr->depth = 1;
				rr->in_str = false;
				rr->esc = false;
				break;
			case S_RECORD:
				{
					/* hot loop: stay here until the record closes */
					int			depth = rr->depth;
					bool		in_str = rr->in_str,
								esc = rr->esc;

					for (; i < n; i++)
					{
						if (in_str)
						{
							/*
							 * Jump to the next quote; it closes the string
							 * unless an odd run of backslashes escapes it.
							 * Strings are most of a record, and memchr is
							 * fast.  A run of backslashes may straddle two
							 * chunks: esc says the first byte here is escaped.
							 */
							size_t		from = i;
							const char *q;
							size_t		bs = 0;

							if (esc)
							{
								esc = false;
								from = i + 1;
								if (from >= n)
								{
									i = n;
									break;
								}
							}
							q = memchr(d + from, '"', n - from);
							if (q == NULL)
							{
								for (size_t j = n; j > from && d[j - 1] == '\\'; j--)
									bs++;
								esc = bs % 2 == 1;
								i = n;
								break;
							}
							for (const char *b = q; b > d + from && b[-1] == '\\'; b--)
								bs++;
							i = (size_t) (q - d);
							if (bs % 2 == 0)
								in_str = false;
							continue;
						}
						c = d[i];
						if (c == '"')
							in_str = true;
						else if (c == '{' || c == '[')
							depth++;
						else if ((c == '}' || c == ']') && --depth == 0)
							break;
					}
					rr->depth = depth;
					rr->in_str = in_str;
					rr->esc = esc;
					if (i == n)
					{
						if (n - rr->rec_start > CT_MAX_RECORD_BYTES)
							return fail(rr, "%s", "a record is larger than 16 MB");
						rr->scan = i;
						return CT_REC_NEED_INPUT;
					}
					if (c != '}')
						return fail(rr, "%s", "malformed JSON in a record");
					*rs = rr->rec_start;
					*re = i + 1;
					rr->scan = i + 1;
					rr->state = S_AFTER_ELEM;
					return CT_REC_RECORD;
				}
			case S_AFTER_ELEM:
				if (is_ws(c))
					break;
				if (c == ',')
					rr->state = S_ELEM_OR_END;
				else if (c == ']')
					rr->state = S_AFTER_VALUE;
				else
					return fail(rr, "%s", "malformed JSON between records");
				break;
			case S_TRAILER:
				if (!is_ws(c))
					return fail(rr, "%s", "unexpected data after the end of the JSON document");
				break;
		}
		i++;
	}
	rr->scan = i;
	return CT_REC_NEED_INPUT;
}

CtRecordStatus
ct_rr_next(CtRecordReader *rr, const char **rec, size_t *len)
{
	/* the last record's text may move now */
	if (rr->idx)
		ct_rec_ahead_forget(rr->idx);
	if (rr->error[0])
		return CT_REC_ERROR;

	for (;;)
	{
		size_t		rs,
					re;
		bool		progress;
		CtRecordStatus st = split(rr, &rs, &re);

		if (st == CT_REC_RECORD)
		{
			rr->records++;
			*rec = rr->out.data + rs;
			*len = re - rs;
			if (rr->indexed)
				ct_rec_ahead(rr->idx, *rec, *len);
			return st;
		}
		if (st == CT_REC_ERROR)
			return st;
		/*
		 * Keep the buffer small: drop what has been scanned, but a record
		 * begun, before inflating more.  Only here: dropping after each
		 * record would move the rest of the chunk once per record.
		 */
		if (rr->state == S_RECORD ? rr->rec_start > 0 : rr->scan > 0)
		{
			size_t		drop = rr->state == S_RECORD ? rr->rec_start : rr->scan;

			ct_buf_consume(&rr->out, drop);
			rr->scan -= drop;
			rr->rec_start = 0;
		}
		if (!inflate_more(rr, &progress))
			return CT_REC_ERROR;
		/*
		 * A chunk inflates in well under a millisecond, and a small object
		 * may inflate to gigabytes of white space: let the host stop us.
		 */
		if (progress && ct_interrupted())
			return CT_REC_NEED_INPUT;
		if (progress)
			continue;
		if (!rr->eof)
			return CT_REC_NEED_INPUT;
		/* end of input: everything must have closed properly */
		if (rr->gzipped && !rr->gz_done)
			return fail(rr, "%s", "truncated gzip data (unexpected end of file)");
		if (rr->state == S_START && rr->bytes_out == 0)
			return fail(rr, "%s", "file is empty");
		if (rr->state != S_TRAILER)
			return fail(rr, "%s", "truncated JSON (unexpected end of file)");
		return CT_REC_END;
	}
}

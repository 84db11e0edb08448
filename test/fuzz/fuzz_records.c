/*
 * fuzz_records.c
 *		Fuzz target: the streaming gunzip + Records splitter, then the
 *		record scanner on every record it returns.
 *
 * The first byte chooses gzip or plain JSON and the size of the chunks the
 * rest is pushed in, as network reads would deliver it.  Every input is
 * read twice, once with the reader indexing records as it splits them and
 * once splitting only (by counting brackets), and in a build with ISA-L
 * gzip goes through ISA-L the first time and zlib the second: the two
 * reads must agree.  The index the reader made of a record must be the one
 * ct_rec_index() makes of a copy of its text.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_buf.h"
#include "ct_recscan.h"
#include "ct_records.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
same_span(const CtSpan *a, const char *pa, const CtSpan *b, const char *pb)
{
	return a->p - pa == b->p - pb && a->len == b->len && a->type == b->type;
}

/* The index of rec (the reader's, if it made one) against a fresh scan. */
static void
check_index(const char *rec, size_t len, const CtRecIndex *idx, bool ok)
{
	CtRecIndex *fresh = malloc(sizeof(CtRecIndex));
	char	   *copy = malloc(len + 1);
	char		err[128];
	bool		same;

	memcpy(copy, rec, len);
	copy[len] = '\0';
	same = ct_rec_index(copy, len, fresh, err, sizeof(err)) == ok;
	if (same && ok)
	{
		same = idx->n == fresh->n && idx->nul_escape == fresh->nul_escape &&
			(idx->more ? idx->more - rec : -1) == (fresh->more ? fresh->more - copy : -1);
		for (int i = 0; same && i < idx->n; i++)
			same = idx->m[i].key - rec == fresh->m[i].key - copy &&
				idx->m[i].klen == fresh->m[i].klen &&
				same_span(&idx->m[i].v, rec, &fresh->m[i].v, copy);
	}
	if (!same)
	{
		fprintf(stderr, "the reader's index of a record differs from a fresh scan (%s)\n",
				ok ? "accepted" : "refused");
		abort();
	}
	free(copy);
	free(fresh);
}

static void
scan_record(const char *rec, size_t len)
{
	CtRecIndex *idx = malloc(sizeof(CtRecIndex));
	char		err[128];
	char	   *path[] = {"userIdentity", "sessionContext", "sessionIssuer", "arn"};
	CtSpan		v;
	CtBuf		b = CT_BUF_INIT;
	bool		ok = ct_rec_index(rec, len, idx, err, sizeof(err));

	check_index(rec, len, idx, ok);
	if (ok)
	{
		for (int i = 0; i < idx->n; i++)
		{
			ct_buf_reset(&b);
			if (idx->m[i].v.type == 's')
				(void) ct_span_string(&idx->m[i].v, &b);
			if (idx->nul_escape)
				(void) ct_span_has_nul_escape(idx->m[i].v.p, idx->m[i].v.len);
		}
		(void) ct_rec_member(idx, "eventTime", &v);
		(void) ct_rec_member(idx, "x150", &v);	/* past the index in wide records */
		(void) ct_rec_path(idx, path, 4, &v);
		ct_buf_reset(&b);
		(void) ct_rec_username(idx, &b);
	}
	ct_buf_free(&b);
	free(idx);
}

/*
 * Read the input through one reader; every record's text goes to out (each
 * followed by a NUL), and to the scanner when scan is set (the reader then
 * indexes records as it splits them).  Returns the last status: CT_REC_END
 * or CT_REC_ERROR.
 */
static CtRecordStatus
read_input(const uint8_t *data, size_t size, CtInflater how, CtBuf *out, bool scan)
{
	CtRecordReader *rr = ct_rr_create_with(data[0] & 1, how);
	size_t		chunk = 1 + (data[0] >> 1) * 37,
				off = 1;
	const char *rec;
	size_t		len;
	bool		eof = false;
	CtRecordStatus st;

	if (!rr)
		return CT_REC_ERROR;
	ct_rr_set_index(rr, scan);
	ct_rr_set_max_size(rr, 1 << 20);
	for (;;)
	{
		st = ct_rr_next(rr, &rec, &len);
		if (st == CT_REC_RECORD)
		{
			if (scan)
				scan_record(rec, len);
			ct_buf_append(out, rec, len + 1);
		}
		else if (st == CT_REC_NEED_INPUT && !eof)
		{
			size_t		n = size - off < chunk ? size - off : chunk;

			if (n == 0)
			{
				ct_rr_set_eof(rr);
				eof = true;
			}
			else if (!ct_rr_push(rr, (const char *) data + off, n))
				break;
			off += n;
		}
		else
			break;				/* end, error, or input wanted past the end */
	}
	ct_rr_destroy(rr);
	return st == CT_REC_END ? st : CT_REC_ERROR;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CtBuf		a = CT_BUF_INIT,
				b = CT_BUF_INIT;
	CtRecordStatus sa,
				sb;
	bool		both;

	if (size < 1)
		return 0;

	/*
	 * A file one read reads to the end the other must read to the end too,
	 * with the same records (the same up to the error, too, when one
	 * inflater does both); gzip goes through ISA-L and zlib.
	 */
	both = (data[0] & 1) && ct_rr_inflater(CT_INFLATE_ISAL) != NULL;
	sa = read_input(data, size, both ? CT_INFLATE_ISAL : CT_INFLATE_DEFAULT, &a, true);
	sb = read_input(data, size, both ? CT_INFLATE_ZLIB : CT_INFLATE_DEFAULT, &b, false);
	/* (one inflater may find a corrupt stream later than the other) */
	if (sa != sb || ((sa == CT_REC_END || !both) &&
					 (a.len != b.len || (a.len > 0 && memcmp(a.data, b.data, a.len) != 0))))
	{
		fprintf(stderr, "the two reads disagree: %s against %s, %zu against %zu bytes of records\n",
				sa == CT_REC_END ? "end" : "error", sb == CT_REC_END ? "end" : "error", a.len, b.len);
		abort();
	}
	ct_buf_free(&a);
	ct_buf_free(&b);
	return 0;
}

/*
 * fuzz_records.c
 *		Fuzz target: the streaming gunzip + Records splitter, then the
 *		record scanner on every record it returns.
 *
 * The first byte chooses gzip or plain JSON and the size of the chunks the
 * rest is pushed in, as network reads would deliver it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_buf.h"
#include "ct_rec.h"
#include "ct_records.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
scan_record(const char *rec, size_t len)
{
	CtRecIndex *idx = malloc(sizeof(CtRecIndex));
	char		err[128];
	char	   *path[] = {"userIdentity", "sessionContext", "sessionIssuer", "arn"};
	CtSpan		v;
	CtBuf		b = CT_BUF_INIT;

	if (ct_rec_index(rec, len, idx, err, sizeof(err)))
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	CtRecordReader *rr;
	size_t		chunk,
				off = 1;
	const char *rec;
	size_t		len;
	bool		eof = false;

	if (size < 1)
		return 0;
	rr = ct_rr_create(data[0] & 1);
	if (!rr)
		return 0;
	ct_rr_set_max_size(rr, 1 << 20);
	chunk = 1 + (data[0] >> 1) * 37;
	for (;;)
	{
		CtRecordStatus st = ct_rr_next(rr, &rec, &len);

		if (st == CT_REC_RECORD)
			scan_record(rec, len);
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
	return 0;
}

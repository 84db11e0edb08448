/*
 * fuzz_digest.c
 *		Fuzz target: what digest validation reads from a bucket or from
 *		CloudTrail -- digest JSON (plain and gzipped), log files through the
 *		streaming hasher, ListPublicKeys replies, signatures and DER keys,
 *		base64.
 *
 * The first byte chooses the parser; the rest is its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_digest.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_digest(const char *text, size_t len)
{
	CtDigest	d;
	char		err[256];
	char	   *sts;
	size_t		slen;

	if (ct_digest_parse(text, len, &d, err, sizeof(err)) != CT_DIGEST_OK)
	{
		if (!err[0])
			abort();			/* every failure says why */
		return;
	}
	if (!d.start_time || !d.end_time || !d.s3_bucket || !d.s3_object || !d.fingerprint ||
		strlen(d.sha256) != 64)
		abort();
	for (int i = 0; i < d.nlogs; i++)
		if (!d.logs[i].s3_bucket || !d.logs[i].s3_object)
			abort();
	sts = ct_digest_data_to_sign(&d, &slen);
	if (sts)
	{
		/* four lines, the first the end time as found */
		int			lines = 1;

		for (size_t i = 0; i < slen; i++)
			lines += sts[i] == '\n';
		if (strlen(sts) != slen || strncmp(sts, d.end_time, strlen(d.end_time)) != 0 || lines < 4)
			abort();
		free(sts);
	}
	ct_digest_free(&d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text;
	size_t		len;
	char		err[256];

	if (size < 1)
		return 0;
	len = size - 1;
	text = malloc(len + 1);		/* a NUL-terminated copy: what callers pass */
	memcpy(text, data + 1, len);
	text[len] = '\0';

	switch (data[0] % 6)
	{
		case 0:
			check_digest(text, len);
			break;
		case 1:
			{
				CtBuf		out = CT_BUF_INIT;
				bool		trailing;

				if (ct_digest_inflate(text, len, 1 << 20, &out, &trailing, err, sizeof(err)) == CT_DIGEST_OK)
					check_digest(out.data ? out.data : "", out.len);
				ct_buf_free(&out);
				break;
			}
		case 2:
			{
				/* fed in pieces whose sizes the input's own bytes choose */
				CtLogHash  *lh = ct_loghash_new(1 << 22);
				CtLogHashResult r;
				size_t		off = 0;

				if (!lh)
					break;
				while (off < len)
				{
					size_t		n = 1 + (unsigned char) text[off] % 97;

					if (n > len - off)
						n = len - off;
					ct_loghash_feed(lh, text + off, n);
					off += n;
				}
				ct_loghash_finish(lh, &r);
				if (r.state != CT_LOGHASH_ERROR && strlen(r.hex) != 64)
					abort();
				if (r.state != CT_LOGHASH_OK && r.trailing != 0)
					abort();
				ct_loghash_free(lh);
				break;
			}
		case 3:
			{
				CtPublicKeyList l;

				if (ct_public_keys_parse(text, len, &l, err, sizeof(err)))
				{
					for (int i = 0; i < l.nkeys; i++)
					{
						CtSigResult r = ct_digest_verify("x", 1, "00ff", l.keys[i].der, l.keys[i].der_len);

						if (r == CT_SIG_VERIFIED || r == CT_SIG_MALFORMED)
							abort();
						if (ct_public_keys_find(&l, l.keys[i].fingerprint) == NULL)
							abort();
					}
					ct_public_keys_free(&l);
				}
				break;
			}
		case 4:
			{
				/* signature hex, a newline, DER key bytes; the data is fixed */
				char	   *nl = memchr(text, '\n', len);
				CtSigResult r;

				if (!nl)
					break;
				*nl = '\0';
				r = ct_digest_verify("data", 4, text, (unsigned char *) nl + 1, len - (nl + 1 - text));
				if (r == CT_SIG_VERIFIED && strlen(text) < 128)
					abort();			/* no RSA key that short */
				break;
			}
		case 5:
			{
				size_t		n;
				unsigned char *b = ct_base64_decode(text, len, &n);

				if (b && (n > len / 4 * 3 || n + 2 < len / 4 * 3))
					abort();
				free(b);
				break;
			}
	}
	free(text);
	return 0;
}

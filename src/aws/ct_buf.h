/*-------------------------------------------------------------------------
 *
 * ct_buf.h
 *		Growable byte buffer of the AWS client layer.
 *
 * malloc-based, because the client layer owns no PostgreSQL memory context.
 * An allocation failure sets "failed" and turns later appends into no-ops,
 * so callers check once, at the end of a sequence of appends.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_buf.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_BUF_H
#define CT_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct CtBuf
{
	char	   *data;			/* always NUL-terminated when not NULL */
	size_t		len;
	size_t		cap;
	bool		failed;			/* an allocation failed */
} CtBuf;

#define CT_BUF_INIT {NULL, 0, 0, false}

extern bool ct_buf_reserve(CtBuf *b, size_t extra);
extern void ct_buf_append(CtBuf *b, const void *data, size_t len);
extern void ct_buf_puts(CtBuf *b, const char *s);
extern void ct_buf_putc(CtBuf *b, char c);
extern void ct_buf_printf(CtBuf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
extern void ct_buf_consume(CtBuf *b, size_t n);
extern void ct_buf_reset(CtBuf *b);
extern void ct_buf_free(CtBuf *b);
extern char *ct_strdup(const char *s);
extern char *ct_strndup(const char *s, size_t n);

/* percent-encoding as SigV4 and S3 want it: only A-Za-z0-9-_.~ stay */
extern void ct_uri_encode(CtBuf *b, const char *s, size_t len, bool keep_slash);
extern char *ct_uri_decode(const char *s, size_t len);
extern void ct_hex(char *out, const unsigned char *in, size_t len);
extern int	ct_hexval(char c);

#endif							/* CT_BUF_H */

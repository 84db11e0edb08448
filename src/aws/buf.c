/*-------------------------------------------------------------------------
 *
 * buf.c
 *		Byte buffers, percent-encoding and the host callback table.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/buf.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ct_buf.h"
#include "ct_host.h"

static const CtHost *ct_host;

void
ct_set_host(const CtHost *host)
{
	ct_host = host;
}

bool
ct_interrupted(void)
{
	return ct_host && ct_host->interrupted && ct_host->interrupted();
}

void
ct_wait_start(void)
{
	if (ct_host && ct_host->wait_start)
		ct_host->wait_start();
}

void
ct_wait_end(void)
{
	if (ct_host && ct_host->wait_end)
		ct_host->wait_end();
}

void
ct_debug(const char *fmt,...)
{
	char		line[1024];
	va_list		ap;

	if (!ct_host || !ct_host->debug)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	ct_host->debug(line);
}

bool
ct_buf_reserve(CtBuf *b, size_t extra)
{
	size_t		need;
	char	   *p;

	if (b->failed)
		return false;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	if (need < 256)
		need = 256;
	if (need < b->cap * 2)
		need = b->cap * 2;
	p = realloc(b->data, need);
	if (p == NULL)
	{
		b->failed = true;
		return false;
	}
	b->data = p;
	b->cap = need;
	return true;
}

void
ct_buf_append(CtBuf *b, const void *data, size_t len)
{
	if (!ct_buf_reserve(b, len))
		return;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
ct_buf_puts(CtBuf *b, const char *s)
{
	ct_buf_append(b, s, strlen(s));
}

void
ct_buf_putc(CtBuf *b, char c)
{
	ct_buf_append(b, &c, 1);
}

void
ct_buf_printf(CtBuf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !ct_buf_reserve(b, (size_t) n))
	{
		b->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/* Drop the first n bytes. */
void
ct_buf_consume(CtBuf *b, size_t n)
{
	if (n >= b->len)
	{
		b->len = 0;
		if (b->data)
			b->data[0] = '\0';
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
	b->data[b->len] = '\0';
}

void
ct_buf_reset(CtBuf *b)
{
	b->len = 0;
	b->failed = false;
	if (b->data)
		b->data[0] = '\0';
}

void
ct_buf_free(CtBuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->failed = false;
}

char *
ct_strndup(const char *s, size_t n)
{
	char	   *p = malloc(n + 1);

	if (p)
	{
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

char *
ct_strdup(const char *s)
{
	return s ? ct_strndup(s, strlen(s)) : NULL;
}

void
ct_uri_encode(CtBuf *b, const char *s, size_t len, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
			c == '~' || (keep_slash && c == '/'))
			ct_buf_putc(b, (char) c);
		else
		{
			char		e[3] = {'%', hex[c >> 4], hex[c & 15]};

			ct_buf_append(b, e, 3);
		}
	}
}

int
ct_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decode; '+' is left alone (S3 and SigV4 do not use form encoding). */
char *
ct_uri_decode(const char *s, size_t len)
{
	char	   *out = malloc(len + 1);
	size_t		o = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++)
	{
		if (s[i] == '%' && i + 2 < len &&
			ct_hexval(s[i + 1]) >= 0 && ct_hexval(s[i + 2]) >= 0)
		{
			out[o++] = (char) (ct_hexval(s[i + 1]) * 16 + ct_hexval(s[i + 2]));
			i += 2;
		}
		else
			out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

void
ct_hex(char *out, const unsigned char *in, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++)
	{
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * len] = '\0';
}

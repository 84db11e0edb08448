/*-------------------------------------------------------------------------
 *
 * config.c
 *		Endpoint hosts of the partitions, the shared config and credentials
 *		files, credential_process command lines.
 *
 * Hosts follow the SDKs' endpoint rules for the three public partitions:
 * aws (amazonaws.com, dual-stack api.aws), aws-cn (amazonaws.com.cn,
 * dual-stack api.amazonwebservices.com.cn) and aws-us-gov (amazonaws.com,
 * dual-stack api.aws, whose regular CloudTrail and STS hosts are already
 * the FIPS ones).
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/config.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ct_buf.h"
#include "ct_config.h"

const char *
ct_partition(const char *region)
{
	if (strncmp(region, "cn-", 3) == 0)
		return "aws-cn";
	if (strncmp(region, "us-gov-", 7) == 0)
		return "aws-us-gov";
	return "aws";
}

char *
ct_service_url(CtService service, const char *region, bool fips, bool dualstack)
{
	const char *partition = ct_partition(region);
	bool		cn = strcmp(partition, "aws-cn") == 0;
	const char *dns = cn ? "amazonaws.com.cn" : "amazonaws.com";
	const char *dual = cn ? "api.amazonwebservices.com.cn" : "api.aws";
	CtBuf		b = CT_BUF_INIT;

	if (service == CT_SERVICE_S3)
		ct_buf_printf(&b, "https://s3%s%s.%s.%s", fips ? "-fips" : "",
					  dualstack ? ".dualstack" : "", region, dns);
	else
	{
		const char *name = service == CT_SERVICE_STS ? "sts" : "cloudtrail";

		if (fips && !dualstack && strcmp(partition, "aws-us-gov") == 0)
			fips = false;		/* the regular GovCloud host is the FIPS one */
		ct_buf_printf(&b, "https://%s%s.%s.%s", name, fips ? "-fips" : "", region,
					  dualstack ? dual : dns);
	}
	if (b.failed)
	{
		ct_buf_free(&b);
		return NULL;
	}
	return b.data;
}

/*
 * Copy [s, e) to out without leading and trailing blanks, runs of blanks
 * inside made one space.  False if it does not fit.
 */
static bool
squeeze(const char *s, const char *e, char *out, size_t outlen)
{
	size_t		n = 0;

	while (s < e && isspace((unsigned char) *s))
		s++;
	while (e > s && isspace((unsigned char) e[-1]))
		e--;
	for (; s < e; s++)
	{
		if (isspace((unsigned char) *s) && isspace((unsigned char) s[1]))
			continue;
		if (n + 1 >= outlen)
			return false;
		out[n++] = isspace((unsigned char) *s) ? ' ' : *s;
	}
	out[n] = '\0';
	return true;
}

/*
 * Walk the lines of an INI text.  With key NULL, report whether the section
 * exists; else return the last value of key in it.
 */
static char *
ini_scan(const char *text, size_t len, const char *section, const char *key, bool *found)
{
	const char *p = text,
			   *end = text + len;
	bool		inside = false;
	char	   *value = NULL;
	char		name[256];

	*found = false;
	while (p < end)
	{
		const char *eol = memchr(p, '\n', end - p);
		const char *line = p,
				   *stop = eol ? eol : end,
				   *t;

		p = eol ? eol + 1 : end;
		for (t = line; t < stop && isspace((unsigned char) *t); t++)
			;
		if (t == stop || *t == '#' || *t == ';')
			continue;
		if (t > line && *t != '[')
			continue;			/* an indented sub-setting (s3 = ...) */
		if (*t == '[')
		{
			const char *close = memchr(t, ']', stop - t);

			inside = close && squeeze(t + 1, close, name, sizeof(name)) &&
				strcmp(name, section) == 0;
			if (inside)
				*found = true;
			continue;
		}
		if (inside && key)
		{
			const char *eq = memchr(t, '=', stop - t);
			const char *colon = memchr(t, ':', stop - t);
			const char *v;

			if (!eq || (colon && colon < eq))
				eq = colon;
			if (!eq || !squeeze(t, eq, name, sizeof(name)) || strcasecmp(name, key) != 0)
				continue;
			for (v = eq + 1; v < stop && isspace((unsigned char) *v); v++)
				;
			while (stop > v && isspace((unsigned char) stop[-1]))
				stop--;
			free(value);
			value = ct_strndup(v, stop - v);
		}
	}
	return value;
}

char *
ct_ini_get(const char *text, size_t len, const char *section, const char *key)
{
	bool		found;

	return ini_scan(text, len, section, key, &found);
}

bool
ct_ini_has_section(const char *text, size_t len, const char *section)
{
	bool		found;

	(void) ini_scan(text, len, section, NULL, &found);
	return found;
}

void
ct_free_argv(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

char **
ct_split_command(const char *cmd, char *err, size_t errlen)
{
	char	  **argv = NULL;
	size_t		argc = 0;
	CtBuf		w = CT_BUF_INIT;
	const char *p = cmd;

	for (;;)
	{
		char	  **grown;

		while (*p && isspace((unsigned char) *p))
			p++;
		if (!*p)
			break;
		ct_buf_reset(&w);
		ct_buf_append(&w, "", 0);	/* terminated even if the word is empty ('') */
		while (*p && !isspace((unsigned char) *p))
		{
			char		q = *p;

			if (q == '\'' || q == '"')
			{
				for (p++; *p && *p != q; p++)
				{
					if (q == '"' && *p == '\\' && p[1] && strchr("\\\"$`\n", p[1]))
						p++;
					ct_buf_putc(&w, *p);
				}
				if (!*p)
				{
					snprintf(err, errlen, "the command has no closing quotation mark");
					goto fail;
				}
				p++;
			}
			else if (q == '\\')
			{
				if (!p[1])
				{
					snprintf(err, errlen, "the command ends with a backslash");
					goto fail;
				}
				if (p[1] != '\n')
					ct_buf_putc(&w, p[1]);
				p += 2;
			}
			else
				ct_buf_putc(&w, *p++);
		}
		grown = realloc(argv, sizeof(char *) * (argc + 2));
		if (!grown)
		{
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		argv = grown;
		argv[argc] = w.failed ? NULL : ct_strdup(w.data);
		if (!argv[argc])
		{
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		argv[++argc] = NULL;
	}
	ct_buf_free(&w);
	if (argc == 0)
	{
		snprintf(err, errlen, "the command is empty");
		return NULL;
	}
	return argv;

fail:
	ct_buf_free(&w);
	ct_free_argv(argv);
	return NULL;
}

/*
 * unit.h
 *		A tiny TAP producer for the C unit tests of the AWS client layer.
 *
 * Each test program prints "ok N - name" / "not ok N - name" lines and a
 * plan at the end, so prove(1) runs them like the TAP tests in test/t.
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	unit_n,
			unit_failed;

#define SHARED_DATA (getenv("CT_SHARED_DATA") ? getenv("CT_SHARED_DATA") : "../shared/data")

static inline int
unit_ok(int cond, const char *name)
{
	unit_n++;
	if (!cond)
		unit_failed++;
	printf("%sok %d - %s\n", cond ? "" : "not ", unit_n, name);
	fflush(stdout);
	return cond;
}

static inline int
unit_is(const char *got, const char *want, const char *name)
{
	int			ok = got && want && strcmp(got, want) == 0;

	if (!unit_ok(ok, name))
		printf("#   got:  '%s'\n#   want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return ok;
}

static inline int
unit_done(void)
{
	printf("1..%d\n", unit_n);
	return unit_failed ? 1 : 0;
}

static inline char *
unit_slurp(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *buf;
	long		n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n + 1);
	if (fread(buf, 1, n, f) != (size_t) n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	if (len)
		*len = n;
	return buf;
}

#endif

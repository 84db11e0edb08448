/*-------------------------------------------------------------------------
 *
 * trail_key.c
 *		The names CloudTrail gives its objects in S3.
 *
 *	[prefix/]AWSLogs/[o-id/]<acct>/CloudTrail/<region>/YYYY/MM/DD/
 *		<acct>_CloudTrail_<region>_<YYYYMMDD>T<HHmm>Z_<unique16>.json.gz
 *
 * The date folders and the stamp are the delivery time.  Keys in a region
 * folder sort by delivery minute, which is what lets a listing start after
 * the first interesting file and stop after the last one.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/trail_key.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ct_s3.h"

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static long long
days_from_civil(int y, int m, int d)
{
	int			era,
				yoe,
				doy,
				doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (long long) era * 146097 + doe - 719468;
}

long long
ct_timegm(int y, int mo, int d, int h, int mi, int s)
{
	return days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
}

static bool
digits(const char *p, int n, int *out)
{
	int			v = 0;

	for (int i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) p[i]))
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * Parse the file-name part of a key.  Returns false (kind CT_KEY_OTHER) for
 * anything that is not a CloudTrail log, Insights or digest file name.
 */
bool
ct_parse_trail_key(const char *key, CtTrailKey *out)
{
	const char *name = strrchr(key, '/');
	const char *p,
			   *us;
	size_t		alen;
	int			y,
				mo,
				d,
				h,
				mi,
				s = 0;

	memset(out, 0, sizeof(*out));
	name = name ? name + 1 : key;
	us = strchr(name, '_');
	if (!us)
		return false;
	alen = (size_t) (us - name);
	if (alen == 0 || alen >= sizeof(out->account))
		return false;
	memcpy(out->account, name, alen);
	p = us + 1;
	if (strncmp(p, "CloudTrail_", 11) == 0)
	{
		out->kind = CT_KEY_LOG;
		p += 11;
	}
	else if (strncmp(p, "CloudTrail-Insight_", 19) == 0)
	{
		out->kind = CT_KEY_INSIGHT;
		p += 19;
	}
	else if (strncmp(p, "CloudTrail-Digest_", 18) == 0)
	{
		out->kind = CT_KEY_DIGEST;
		p += 18;
	}
	else
		return false;
	us = strchr(p, '_');
	if (!us || (size_t) (us - p) >= sizeof(out->region) || us == p)
	{
		out->kind = CT_KEY_OTHER;
		return false;
	}
	memcpy(out->region, p, us - p);
	out->region[us - p] = '\0';
	p = us + 1;
	if (out->kind == CT_KEY_DIGEST)
	{
		/* <trail>_<home>_<YYYYMMDDTHHMMSSZ>[_backfill].json.gz: stamp at a fixed offset */
		size_t		n = strlen(name);
		const char *st;

		if (n >= 33 && strcmp(name + n - 17, "_backfill.json.gz") == 0)
			st = name + n - 33;
		else if (n >= 24)
			st = name + n - 24;
		else
		{
			out->kind = CT_KEY_OTHER;
			return false;
		}
		if (!digits(st, 4, &y) || !digits(st + 4, 2, &mo) || !digits(st + 6, 2, &d) ||
			st[8] != 'T' || !digits(st + 9, 2, &h) || !digits(st + 11, 2, &mi) ||
			!digits(st + 13, 2, &s) || st[15] != 'Z')
		{
			out->kind = CT_KEY_OTHER;
			return false;
		}
	}
	else
	{
		if (!digits(p, 4, &y) || !digits(p + 4, 2, &mo) || !digits(p + 6, 2, &d) ||
			p[8] != 'T' || !digits(p + 9, 2, &h) || !digits(p + 11, 2, &mi) ||
			p[13] != 'Z' || p[14] != '_')
		{
			out->kind = CT_KEY_OTHER;
			return false;
		}
	}
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
	{
		out->kind = CT_KEY_OTHER;
		return false;
	}
	out->stamp = ct_timegm(y, mo, d, h, mi, s);
	return true;
}

/*
 * Is key a file CloudTrail could have written in the folder region_prefix
 * ("[prefix/]AWSLogs/[org/]<acct>/CloudTrail[-Insight]/<region>/")?  That
 * is exactly region_prefix, the date folder "YYYY/MM/DD/" of its stamp and
 * the name
 *
 *	<acct>_CloudTrail[-Insight]_<region>_<YYYYMMDD>T<HHmm>Z_<unique>.json.gz
 *
 * of that account and region, with a 16-character unique part of letters
 * and digits.  Only such keys are fetched: nothing outside the prefix, no
 * dot segments, percent signs, control characters or extra folders, so
 * the path sent is one that names the file and nothing else.  *k is set
 * as by ct_parse_trail_key.
 */
bool
ct_trail_file_key(const char *key, const char *region_prefix, const char *account,
				  const char *region, bool insight, CtTrailKey *k)
{
	size_t		plen = strlen(region_prefix);
	const char *p = key + plen;
	const char *name = p + 11;
	char		stem[96];
	size_t		slen;
	int			y,
				mo,
				d;

	memset(k, 0, sizeof(*k));
	if (strncmp(key, region_prefix, plen) != 0 || strlen(p) < 11 ||
		!digits(p, 4, &y) || p[4] != '/' || !digits(p + 5, 2, &mo) || p[7] != '/' ||
		!digits(p + 8, 2, &d) || p[10] != '/' || strchr(name, '/'))
		return false;
	/* the name: stem, stamp "YYYYMMDDTHHmmZ_" (15), unique (16), ".json.gz" (8) */
	slen = (size_t) snprintf(stem, sizeof(stem), "%s_%s_%s_", account,
							 insight ? "CloudTrail-Insight" : "CloudTrail", region);
	if (slen >= sizeof(stem) || strlen(name) != slen + 15 + 16 + 8 ||
		strncmp(name, stem, slen) != 0 || strcmp(name + slen + 31, ".json.gz") != 0)
		return false;
	for (int i = 0; i < 16; i++)
	{
		char		c = name[slen + 15 + i];

		/* ASCII only, whatever the locale says isalnum() means */
		if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')))
			return false;
	}
	if (!ct_parse_trail_key(key, k) || k->kind != (insight ? CT_KEY_INSIGHT : CT_KEY_LOG) ||
		strcmp(k->account, account) != 0 || strcmp(k->region, region) != 0)
		return false;
	/* the date folder is the stamp's day */
	if (memcmp(p, name + slen, 4) != 0 || memcmp(p + 5, name + slen + 4, 2) != 0 ||
		memcmp(p + 8, name + slen + 6, 2) != 0)
		return false;
	return true;
}

/* "[prefix/]AWSLogs/[org/]<acct>/CloudTrail[-Insight]/<region>/" */
void
ct_trail_region_prefix(CtBuf *out, const char *prefix, const char *org,
					   const char *account, bool insight, const char *region)
{
	if (prefix && *prefix)
	{
		ct_buf_puts(out, prefix);
		if (prefix[strlen(prefix) - 1] != '/')
			ct_buf_putc(out, '/');
	}
	ct_buf_puts(out, "AWSLogs/");
	if (org && *org)
		ct_buf_printf(out, "%s/", org);
	ct_buf_printf(out, "%s/%s/%s/", account,
				  insight ? "CloudTrail-Insight" : "CloudTrail", region);
}

/*
 * The start-after key for files delivered at or after "from": the name stem
 * of a file stamped with from's minute sorts just before every such file.
 */
void
ct_trail_start_after(CtBuf *out, const char *region_prefix, const char *account,
					 bool insight, const char *region, long long from)
{
	time_t		t = (time_t) (from - (from % 60 + 60) % 60);
	struct tm	tm;
	char		folder[16],
				stamp[16];

	gmtime_r(&t, &tm);
	strftime(folder, sizeof(folder), "%Y/%m/%d/", &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M", &tm);
	ct_buf_printf(out, "%s%s%s_%s_%s_%s", region_prefix, folder, account,
				  insight ? "CloudTrail-Insight" : "CloudTrail", region, stamp);
}

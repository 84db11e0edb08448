/*-------------------------------------------------------------------------
 *
 * validate.c
 *		cloudtrail_validate() and cloudtrail_validate_summary(): the
 *		digest chains of a trail table, walked and judged in SQL.
 *
 * Per account and region (as the table sees them: organization_id,
 * prefix, account_ids and regions, narrowed by the arguments; discovered by
 * listing where not given), the digest folder is listed for keys stamped in
 * [start, end + 1 h], every listed digest is read at once, and each chain
 * (regular, then backfill) is walked from its newest digest backwards in
 * the order aws-cli checks: read, parse, signature metadata, location,
 * public key, signature.  A valid digest leads to its previous one; an
 * invalid one to the next older listed key; a chain start with older keys
 * left is a gap.  The log files of valid digests are hashed as they stream
 * in, all at once; log files in a covered hour that no digest lists are
 * reported too.  Public keys come from ListPublicKeys, once per region.
 *
 * A directory table has no S3 metadata, so no signature: its digests get
 * status "unsigned" (everything else is checked as for S3).
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/validate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "foreign/foreign.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "validate.h"

PG_FUNCTION_INFO_V1(cloudtrail_validate);
PG_FUNCTION_INFO_V1(cloudtrail_validate_summary);

#define NKINDS 4
static const char *const kind_names[NKINDS] = {"digest", "backfill digest", "log", "gap"};

#define NSTATUS 20

/* One validation: the table, the window, where rows go. */
typedef struct Val
{
	CtFdwOptions opts;
	VStore	   *vs;
	int64		start;			/* epoch seconds */
	int64		end;
	List	   *want_accounts;	/* NIL: any */
	List	   *want_regions;
	List	   *keys;			/* of RegionKeys * */
	Tuplestorestate *ts;
	TupleDesc	td;
	bool		summary;
	const char *statuses[NSTATUS];
	int64		counts[NKINDS][NSTATUS];
	int64		covered_lo;		/* digest windows seen */
	int64		covered_hi;
	int64		requests;
	int64		bytes;
	int64		retries;
} Val;

typedef struct RegionKeys
{
	char	   *region;
	CtPublicKey *keys;			/* palloc'd copies */
	int			nkeys;
} RegionKeys;

/* What a digest's logFiles says of one log file. */
typedef struct VLog
{
	char	   *key;
	char	   *hash;			/* expected, lowercase hex */
	bool		other_bucket;
} VLog;

/* One digest, judged on its own. */
typedef struct VDigest
{
	char	   *key;
	int64		stamp;			/* of the key name */
	bool		backfill;
	VObj		obj;
	bool		visited;
	bool		parsed;
	const char *status;
	char	   *detail;
	int64		wstart;			/* from the JSON, if parsed and times_ok */
	int64		wend;
	bool		times_ok;
	char	   *prev_key;		/* NULL: a chain start */
	bool		prev_elsewhere; /* previousDigestS3Bucket is another bucket */
	char	   *prev_hash;
	char		sha256[65];
	VLog	   *logs;
	int			nlogs;
} VDigest;

/* A log file to hash, and the digest that lists it. */
typedef struct VLogJob
{
	VObj		obj;
	VLog	   *log;
	VDigest    *digest;
} VLogJob;

typedef struct Pair
{
	char	   *account_prefix; /* [prefix/]AWSLogs/[org/]<acct>/ */
	char	   *account;
	char	   *region;
	List	   *digests;		/* of VDigest *, by stamp */
	List	   *listed_logs;	/* of char *: keys some parsed digest lists */
} Pair;

/* ---------------------------------------------------------------- rows */

static Datum
ts_datum(int64 epoch, bool *isnull)
{
	*isnull = epoch == PG_INT64_MIN;
	if (*isnull)
		return (Datum) 0;
	return TimestampTzGetDatum(time_t_to_timestamptz((pg_time_t) epoch));
}

static int
status_index(Val *c, const char *status)
{
	for (int i = 0; i < NSTATUS; i++)
	{
		if (c->statuses[i] == NULL)
			c->statuses[i] = status;
		if (strcmp(c->statuses[i], status) == 0)
			return i;
	}
	elog(ERROR, "too many validation statuses");
	return 0;
}

/* One row: a digest, a log file or a gap; counted for the summary. */
static void
emit(Val *c, int kind, const char *url, Pair *p, int64 wstart, int64 wend,
	 const char *status, const char *detail, const char *digest_url)
{
	Datum		values[9];
	bool		nulls[9] = {0};
	const char *texts[9] = {kind_names[kind], url, p->account, p->region, NULL, NULL,
	status, detail, digest_url};

	c->counts[kind][status_index(c, status)]++;
	if (c->summary)
		return;
	for (int i = 0; i < 9; i++)
	{
		nulls[i] = texts[i] == NULL;
		values[i] = texts[i] ? CStringGetTextDatum(texts[i]) : (Datum) 0;
	}
	values[4] = ts_datum(wstart, &nulls[4]);
	values[5] = ts_datum(wend, &nulls[5]);
	tuplestore_putvalues(c->ts, c->td, values, nulls);
}

static char *
iso(int64 epoch)
{
	pg_time_t	t = (pg_time_t) epoch;
	struct pg_tm *tm = pg_gmtime(&t);

	return psprintf("%04d-%02d-%02dT%02d:%02d:%02dZ", tm->tm_year + 1900, tm->tm_mon + 1,
					tm->tm_mday, tm->tm_hour, tm->tm_min, tm->tm_sec);
}

/* ---------------------------------------------------------------- public keys */

static RegionKeys *
region_keys(Val *c, const char *region)
{
	ListCell   *lc;
	RegionKeys *rk;
	char	   *token = NULL;

	MemoryContext old;

	foreach(lc, c->keys)
		if (strcmp(((RegionKeys *) lfirst(lc))->region, region) == 0)
			return lfirst(lc);
	/* kept for the whole call, whatever pair asks first */
	old = MemoryContextSwitchTo(c->vs->cxt);
	rk = palloc0(sizeof(RegionKeys));
	rk->region = pstrdup(region);
	c->keys = lappend(c->keys, rk);
	if (!c->vs->session)
	{
		MemoryContextSwitchTo(old);
		return rk;				/* a directory: no signatures to check */
	}
	do
	{
		char	   *body = ct_public_keys_body(c->start, c->end + 2 * 3600, token);
		char	   *reply;
		CtPublicKeyList l;
		char		err[256];

		if (!body)
			ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
		reply = ctfdw_vstore_call(c->vs, region, CT_LIST_PUBLIC_KEYS_TARGET, body,
								  psprintf("ListPublicKeys in %s", region));
		if (!ct_public_keys_parse(reply, strlen(reply), &l, err, sizeof(err)))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_REPLY_HANDLE),
					 errmsg("could not read the public keys of region %s", region),
					 errdetail_internal("%s", err)));
		rk->keys = rk->keys ? repalloc(rk->keys, sizeof(CtPublicKey) * (rk->nkeys + l.nkeys)) :
			palloc(sizeof(CtPublicKey) * Max(l.nkeys, 1));
		for (int i = 0; i < l.nkeys; i++)
		{
			CtPublicKey *k = &rk->keys[rk->nkeys++];

			*k = l.keys[i];
			k->der = palloc(l.keys[i].der_len);
			memcpy(k->der, l.keys[i].der, l.keys[i].der_len);
		}
		token = l.next_token ? pstrdup(l.next_token) : NULL;
		ct_public_keys_free(&l);
	} while (token);
	MemoryContextSwitchTo(old);
	return rk;
}

static const CtPublicKey *
find_key(RegionKeys *rk, const char *fingerprint)
{
	for (int i = 0; i < rk->nkeys; i++)
		if (strcmp(rk->keys[i].fingerprint, fingerprint) == 0)
			return &rk->keys[i];
	return NULL;
}

/* ---------------------------------------------------------------- digests */

/* Stamp and kind of a digest key: ..._YYYYMMDDTHHMMSSZ[_backfill].json.gz */
static bool
digest_key(const char *key, int64 *stamp, bool *backfill)
{
	size_t		len = strlen(key);
	const char *end;
	int			y,
				mo,
				d,
				h,
				mi,
				s;

	if (len < 25 || strcmp(key + len - 8, ".json.gz") != 0)
		return false;
	*backfill = len > 34 && strncmp(key + len - 17, "_backfill", 9) == 0;
	end = key + len - 8 - (*backfill ? 9 : 0);
	if (end - key < 17 || end[-17] != '_' ||
		sscanf(end - 16, "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &s) != 6)
		return false;
	*stamp = ct_timegm(y, mo, d, h, mi, s);
	return true;
}

/* Keep what the walk needs of a parsed digest. */
static void
keep_parsed(VDigest *g, const CtDigest *d, const char *bucket)
{
	g->parsed = true;
	g->times_ok = d->times_ok;
	g->wstart = d->times_ok ? d->start : PG_INT64_MIN;
	g->wend = d->times_ok ? d->end : g->stamp;
	g->prev_key = d->prev_object ? pstrdup(d->prev_object) : NULL;
	g->prev_elsewhere = d->prev_object && bucket && d->prev_bucket &&
		strcmp(d->prev_bucket, bucket) != 0;
	g->prev_hash = d->prev_hash ? pstrdup(d->prev_hash) : NULL;
	memcpy(g->sha256, d->sha256, sizeof(g->sha256));
	g->logs = palloc0(sizeof(VLog) * Max(d->nlogs, 1));
	g->nlogs = d->nlogs;
	for (int i = 0; i < d->nlogs; i++)
	{
		g->logs[i].key = pstrdup(d->logs[i].s3_object);
		g->logs[i].hash = d->logs[i].hash_value ? pstrdup(d->logs[i].hash_value) : NULL;
		g->logs[i].other_bucket = bucket && strcmp(d->logs[i].s3_bucket, bucket) != 0;
	}
}

/* The signature checks, in aws-cli's order, on a digest that parsed. */
static void
check_signature(Val *c, Pair *p, VDigest *g, const CtDigest *d)
{
	const char *bucket = c->opts.bucket;
	RegionKeys *rk;
	const CtPublicKey *k;
	char	   *data;
	size_t		len;
	CtSigResult r;

	if (c->vs->session && (!g->obj.signature || !g->obj.signature_algorithm))
	{
		g->status = "signature_failed";
		g->detail = psprintf("the object has no %s metadata",
							 g->obj.signature ? "signature-algorithm" : "signature");
		return;
	}
	if ((bucket && strcmp(d->s3_bucket, bucket) != 0) || strcmp(d->s3_object, g->key) != 0)
	{
		g->status = "moved";
		g->detail = psprintf("the digest says it was delivered to s3://%s/%s", d->s3_bucket,
							 d->s3_object);
		return;
	}
	if (!c->vs->session)
	{
		g->status = "unsigned";
		g->detail = "a directory copy keeps no S3 metadata: the signature cannot be checked";
		return;
	}
	rk = region_keys(c, p->region);
	if ((k = find_key(rk, d->fingerprint)) == NULL)
	{
		g->status = "public_key_not_found";
		g->detail = psprintf("ListPublicKeys in %s returns no key with fingerprint %s",
							 p->region, d->fingerprint);
		return;
	}
	if ((data = ct_digest_data_to_sign(d, &len)) == NULL)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	r = ct_digest_verify(data, len, g->obj.signature, k->der, k->der_len);
	free(data);
	g->status = r == CT_SIG_VERIFIED ? "valid" : r == CT_SIG_MALFORMED ? "malformed_signature" :
		r == CT_SIG_BAD_KEY ? "bad_public_key" : "signature_failed";
	if (r != CT_SIG_VERIFIED)
		g->detail = psprintf("signature check: %s", ct_sig_result_name(r));
}

/* Judge a digest that was read (or not). */
static void
judge_digest(Val *c, Pair *p, VDigest *g)
{
	CtBuf		json = CT_BUF_INIT;
	CtDigest	d;
	bool		trailing;
	char		err[256];

	g->wstart = PG_INT64_MIN;
	g->wend = g->stamp;
	if (g->obj.outcome != VGET_OK)
	{
		g->status = g->obj.outcome == VGET_NOT_FOUND ? "not_found" : "error";
		g->detail = g->obj.detail;
		return;
	}
	if (ct_digest_inflate(g->obj.body, g->obj.len, 0, &json, &trailing, err, sizeof(err)) != CT_DIGEST_OK ||
		ct_digest_parse(json.data, json.len, &d, err, sizeof(err)) != CT_DIGEST_OK)
	{
		ct_buf_free(&json);
		g->status = "invalid_format";
		g->detail = pstrdup(err);
		return;
	}
	ct_buf_free(&json);
	PG_TRY();
	{
		keep_parsed(g, &d, c->opts.bucket);
		check_signature(c, p, g, &d);
	}
	PG_FINALLY();
	{
		ct_digest_free(&d);
	}
	PG_END_TRY();
	pfree(g->obj.body);
	g->obj.body = NULL;
	if (g->times_ok)
	{
		c->covered_lo = Min(c->covered_lo, g->wstart);
		c->covered_hi = Max(c->covered_hi, g->wend);
	}
}

static VDigest *
new_digest(const char *key, int64 stamp, bool backfill)
{
	VDigest    *g = palloc0(sizeof(VDigest));

	g->key = pstrdup(key);
	g->stamp = stamp;
	g->backfill = backfill;
	g->obj.key = g->key;
	g->obj.whole = true;
	return g;
}

/* ---------------------------------------------------------------- the walk */

typedef struct ListDigests
{
	Val		   *c;
	Pair	   *p;
} ListDigests;

static bool
take_digest(void *arg, const char *key)
{
	ListDigests *a = arg;
	int64		stamp;
	bool		backfill;

	if (!digest_key(key, &stamp, &backfill))
		return true;
	if (stamp > a->c->end + 3600)
		return false;			/* keys sort by date folder, then stamp */
	if (stamp >= a->c->start)
		a->p->digests = lappend(a->p->digests, new_digest(key, stamp, backfill));
	return true;
}

static int
by_stamp(const ListCell *a, const ListCell *b)
{
	int64		x = ((VDigest *) lfirst(a))->stamp,
				y = ((VDigest *) lfirst(b))->stamp;

	return x < y ? -1 : x > y;
}

/* The newest unvisited digest of the chain older than stamp, or NULL. */
static VDigest *
next_older(Pair *p, bool backfill, int64 stamp)
{
	VDigest    *best = NULL;
	ListCell   *lc;

	foreach(lc, p->digests)
	{
		VDigest    *g = lfirst(lc);

		if (g->backfill == backfill && !g->visited && g->stamp < stamp)
			best = g;
	}
	return best;
}

/* The digest a previous-pointer names: listed, or read now. */
static VDigest *
previous_digest(Val *c, Pair *p, VDigest *newer)
{
	ListCell   *lc;
	VDigest    *g;
	VObj	   *one;
	int64		stamp = newer->stamp - 1;
	bool		backfill;

	foreach(lc, p->digests)
		if (strcmp(((VDigest *) lfirst(lc))->key, newer->prev_key) == 0)
			return lfirst(lc);
	(void) digest_key(newer->prev_key, &stamp, &backfill);
	g = new_digest(newer->prev_key, stamp, newer->backfill);
	one = &g->obj;
	ctfdw_vstore_get(c->vs, &one, 1);
	judge_digest(c, p, g);
	p->digests = lappend(p->digests, g);
	return g;
}

static bool
is_valid(VDigest *g)
{
	return strcmp(g->status, "valid") == 0 || strcmp(g->status, "unsigned") == 0 ||
		strcmp(g->status, "previous_mismatch") == 0;
}

/* Rows for a digest, and the log files it leads to (appended to jobs). */
static void
digest_row(Val *c, Pair *p, VDigest *g, List **jobs)
{
	char	   *url = ctfdw_vstore_url(c->vs, g->key);

	emit(c, g->backfill ? 1 : 0, url, p, g->wstart, g->wend, g->status, g->detail, NULL);
	for (int i = 0; i < g->nlogs; i++)
	{
		p->listed_logs = lappend(p->listed_logs, g->logs[i].key);
		if (!is_valid(g))
			emit(c, 2, ctfdw_vstore_url(c->vs, g->logs[i].key), p, g->wstart, g->wend,
				 "unverified", "listed only by a digest that is not valid", url);
		else if (g->logs[i].other_bucket)
			emit(c, 2, psprintf("s3://?/%s", g->logs[i].key), p, g->wstart, g->wend, "error",
				 "the log file is in another bucket", url);
		else
		{
			VLogJob    *j = palloc0(sizeof(VLogJob));

			j->obj.key = g->logs[i].key;
			j->log = &g->logs[i];
			j->digest = g;
			*jobs = lappend(*jobs, j);
		}
	}
}

/*
 * Walk one chain from its newest listed digest backwards; the log files
 * its valid digests list go to *jobs.
 */
static void
walk_chain(Val *c, Pair *p, bool backfill, List **jobs)
{
	VDigest    *g = next_older(p, backfill, PG_INT64_MAX);
	VDigest    *newer = NULL;

	while (g)
	{
		VDigest    *older;

		g->visited = true;
		if (newer && is_valid(g) && newer->prev_hash && strcmp(newer->prev_hash, g->sha256) != 0)
		{
			g->status = "previous_mismatch";
			g->detail = psprintf("previousDigestHashValue of %s is %s, the digest's SHA-256 is %s",
								 ctfdw_vstore_url(c->vs, newer->key), newer->prev_hash, g->sha256);
		}
		digest_row(c, p, g, jobs);
		if (g->times_ok && g->wstart < c->start)
			break;				/* the window's oldest digest */
		newer = NULL;
		if (is_valid(g) && g->prev_key && !g->prev_elsewhere)
		{
			newer = g;
			g = previous_digest(c, p, g);
			if (!g->visited)
				continue;
			break;
		}
		older = next_older(p, backfill, g->stamp);
		if (is_valid(g) && !g->prev_key && older)
			emit(c, 3, NULL, p, older->stamp, g->wstart, "gap",
				 psprintf("no log files were delivered between %s and %s", iso(older->stamp),
						  g->times_ok ? iso(g->wstart) : "?"),
				 ctfdw_vstore_url(c->vs, g->key));
		g = older;
	}
}

/* Hash the log files, all at once, and give each its row. */
static void
hash_logs(Val *c, Pair *p, List *jobs)
{
	VObj	  **objs = palloc(sizeof(VObj *) * Max(list_length(jobs), 1));
	ListCell   *lc;
	int			n = 0;

	foreach(lc, jobs)
		objs[n++] = &((VLogJob *) lfirst(lc))->obj;
	ctfdw_vstore_get(c->vs, objs, n);
	foreach(lc, jobs)
	{
		VLogJob    *j = lfirst(lc);
		CtLogHashResult *h = &j->obj.hash;
		const char *status = "valid";
		char	   *detail = NULL;

		if (j->obj.outcome != VGET_OK)
		{
			status = j->obj.outcome == VGET_NOT_FOUND ? "not_found" : "error";
			detail = j->obj.detail;
		}
		else if (h->state == CT_LOGHASH_TRUNCATED)
			status = "hash_mismatch", detail = "gzip data ends early";
		else if (h->state != CT_LOGHASH_OK)
			status = "invalid_format", detail = pstrdup(h->err);
		else if (!j->log->hash || strcmp(h->hex, j->log->hash) != 0)
			status = "hash_mismatch", detail = psprintf("SHA-256 %s, the digest says %s", h->hex,
														j->log->hash ? j->log->hash : "nothing");
		else if (h->trailing > 0)
			status = "trailing_data", detail = psprintf("%lld bytes follow the gzip stream",
														h->trailing);
		emit(c, 2, ctfdw_vstore_url(c->vs, j->obj.key), p, j->digest->wstart, j->digest->wend,
			 status, detail, ctfdw_vstore_url(c->vs, j->digest->key));
	}
}

/* ---------------------------------------------------------------- not in a digest */

typedef struct ListLogs
{
	Val		   *c;
	Pair	   *p;
	char	   *region_prefix;
	int64		hi;
	char	  **listed;
	int			nlisted;
} ListLogs;

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static bool
take_log(void *arg, const char *key)
{
	ListLogs   *a = arg;
	CtTrailKey	k;
	const char *kp = key;
	ListCell   *lc;

	if (!ct_trail_file_key(key, a->region_prefix, a->p->account, a->p->region, false, &k))
		return true;
	if (k.stamp >= a->hi)
		return false;
	if (bsearch(&kp, a->listed, a->nlisted, sizeof(char *), cmp_str))
		return true;
	foreach(lc, a->p->digests)
	{
		VDigest    *g = lfirst(lc);

		if (g->times_ok && k.stamp >= g->wstart && k.stamp < g->wend)
		{
			emit(a->c, 2, ctfdw_vstore_url(a->c->vs, key), a->p, g->wstart, g->wend,
				 "not_in_digest", "no digest of the window lists this log file", NULL);
			break;
		}
	}
	return true;
}

/*
 * Log files delivered in an hour a digest covers that no digest lists, up
 * to the start of the newest digest read: a file delivered after that may
 * be listed by a digest stamped after the window.
 */
static void
unlisted_logs(Val *c, Pair *p)
{
	ListLogs	a = {c, p};
	int64		lo = PG_INT64_MAX;
	ListCell   *lc;
	CtBuf		b = CT_BUF_INIT;
	char	   *start_after;
	int			i = 0;

	foreach(lc, p->digests)
	{
		VDigest    *g = lfirst(lc);

		if (g->times_ok)
			lo = Min(lo, g->wstart), a.hi = Max(a.hi, g->wstart);
	}
	if (lo == PG_INT64_MAX || a.hi <= lo)
		return;
	a.region_prefix = psprintf("%sCloudTrail/%s/", p->account_prefix, p->region);
	ct_trail_start_after(&b, a.region_prefix, p->account, false, p->region, lo);
	start_after = pstrdup(b.data);
	ct_buf_free(&b);
	a.nlisted = list_length(p->listed_logs);
	a.listed = palloc(sizeof(char *) * Max(a.nlisted, 1));
	foreach(lc, p->listed_logs)
		a.listed[i++] = lfirst(lc);
	qsort(a.listed, a.nlisted, sizeof(char *), cmp_str);
	ctfdw_vstore_list(c->vs, a.region_prefix, false, start_after, take_log, &a);
}

/* One account and region: both chains, their log files, the unlisted ones. */
static void
validate_pair(Val *c, Pair *p)
{
	ListDigests a = {c, p};
	char	   *folder = psprintf("%sCloudTrail-Digest/%s/", p->account_prefix, p->region);
	char	   *from = iso(c->start - 60);
	VObj	  **objs;
	ListCell   *lc;
	List	   *jobs = NIL;
	int			n = 0;

	/* the date folder of start - 1 min: keys sort after it */
	ctfdw_vstore_list(c->vs, folder, false,
					  psprintf("%s%.4s/%.2s/%.2s/", folder, from, from + 5, from + 8),
					  take_digest, &a);
	list_sort(p->digests, by_stamp);
	objs = palloc(sizeof(VObj *) * Max(list_length(p->digests), 1));
	foreach(lc, p->digests)
		objs[n++] = &((VDigest *) lfirst(lc))->obj;
	ctfdw_vstore_get(c->vs, objs, n);
	foreach(lc, p->digests)
		judge_digest(c, p, lfirst(lc));
	walk_chain(c, p, false, &jobs);
	walk_chain(c, p, true, &jobs);
	hash_logs(c, p, jobs);
	unlisted_logs(c, p);
}

/* ---------------------------------------------------------------- discovery */

static bool
wanted(List *want, List *table, const char *v)
{
	ListCell   *lc;
	bool		in_want = want == NIL,
				in_table = table == NIL;

	foreach(lc, want)
		in_want |= strcmp(lfirst(lc), v) == 0;
	foreach(lc, table)
		in_table |= strcmp(lfirst(lc), v) == 0;
	return in_want && in_table;
}

typedef struct Discover
{
	Val		   *c;
	size_t		plen;
	List	   *found;			/* of char *: folder prefixes */
} Discover;

static bool
take_folder(void *arg, const char *folder)
{
	Discover   *d = arg;

	d->found = lappend(d->found, pstrdup(folder));
	return true;
}

static List *
folders(Val *c, const char *prefix)
{
	Discover	d = {c, strlen(prefix), NIL};

	ctfdw_vstore_list(c->vs, prefix, true, NULL, take_folder, &d);
	return d.found;
}

static char *
last_segment(const char *folder, size_t plen)
{
	return pnstrdup(folder + plen, strlen(folder + plen) - 1);
}

/* Validate every region of an account folder. */
static void
validate_account(Val *c, const char *account_prefix, const char *account)
{
	List	   *regions = c->opts.regions ? c->opts.regions : c->want_regions;
	char	   *dfolder = psprintf("%sCloudTrail-Digest/", account_prefix);
	ListCell   *lc;

	if (regions == NIL)
		foreach(lc, folders(c, dfolder))
			regions = lappend(regions, last_segment(lfirst(lc), strlen(dfolder)));
	foreach(lc, regions)
	{
		Pair	   *p;
		MemoryContext pair_cxt,
					old;

		if (!ctfdw_valid_region(lfirst(lc)) ||
			!wanted(c->want_regions, c->opts.regions, lfirst(lc)))
			continue;
		pair_cxt = AllocSetContextCreate(CurrentMemoryContext, "cloudtrail_validate pair",
										 ALLOCSET_DEFAULT_SIZES);
		old = MemoryContextSwitchTo(pair_cxt);
		p = palloc0(sizeof(Pair));
		p->account_prefix = pstrdup(account_prefix);
		p->account = pstrdup(account);
		p->region = pstrdup(lfirst(lc));
		validate_pair(c, p);
		MemoryContextSwitchTo(old);
		MemoryContextDelete(pair_cxt);
	}
}

/* The accounts below root ([prefix/]AWSLogs/[org/]): named, or listed. */
static void
validate_root(Val *c, const char *root, bool may_nest)
{
	List	   *accounts = c->opts.account_ids ? c->opts.account_ids : c->want_accounts;
	ListCell   *lc;

	if (accounts && (c->opts.organization_id || !may_nest))
	{
		foreach(lc, accounts)
			if (wanted(c->want_accounts, c->opts.account_ids, lfirst(lc)))
				validate_account(c, psprintf("%s%s/", root, (char *) lfirst(lc)), lfirst(lc));
		return;
	}
	foreach(lc, folders(c, root))
	{
		char	   *seg = last_segment(lfirst(lc), strlen(root));

		if (ctfdw_valid_account(seg) && wanted(c->want_accounts, c->opts.account_ids, seg))
			validate_account(c, lfirst(lc), seg);
		else if (may_nest && strncmp(seg, "o-", 2) == 0)
			validate_root(c, lfirst(lc), false);
	}
}

/* ---------------------------------------------------------------- SQL */

static List *
text_array_list(ArrayType *a, const char *what, bool (*valid) (const char *))
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	List	   *out = NIL;

	deconstruct_array(a, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++)
	{
		char	   *v;

		if (nulls[i])
			continue;
		v = TextDatumGetCString(elems[i]);
		if (!valid(v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("invalid %s \"%s\"", what, v)));
		out = lappend(out, v);
	}
	return out;
}

/* The table, the caller's right to read it, and the arguments. */
static void
begin(Val *c, FunctionCallInfo fcinfo)
{
	Oid			relid;
	AclResult	acl;
	ForeignTable *ft;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the trail table and the start time must not be null")));
	relid = PG_GETARG_OID(0);
	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table", get_rel_name(relid))));
	acl = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (acl != ACLCHECK_OK)
		aclcheck_error(acl, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	ft = GetForeignTable(relid);
	if (strcmp(GetForeignDataWrapper(GetForeignServer(ft->serverid)->fdwid)->fdwname,
			   "cloudtrail_fdw") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a cloudtrail_fdw table", get_rel_name(relid))));
	ctfdw_get_options(relid, GetUserId(), true, &c->opts);
	if (c->opts.source->kind != CT_TABLE_TRAIL || c->opts.insight)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a trail table of log files", get_rel_name(relid)),
				 errhint("Digests cover log files: validate a trail table (source s3 or directory) without event_files 'insight'.")));
	c->start = ctfdw_to_epoch(PG_GETARG_TIMESTAMPTZ(1));
	c->end = PG_ARGISNULL(2) ? ctfdw_to_epoch(GetCurrentTimestamp()) :
		ctfdw_to_epoch(PG_GETARG_TIMESTAMPTZ(2));
	if (c->end < c->start)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("end_time is before start_time")));
	if (!PG_ARGISNULL(3))
		c->want_accounts = text_array_list(PG_GETARG_ARRAYTYPE_P(3), "account id",
										   ctfdw_valid_account);
	if (!PG_ARGISNULL(4))
		c->want_regions = text_array_list(PG_GETARG_ARRAYTYPE_P(4), "region", ctfdw_valid_region);
	c->covered_lo = PG_INT64_MAX;
	c->covered_hi = PG_INT64_MIN;
}

static void
run(Val *c)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "cloudtrail_validate",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	StringInfoData root;

	c->vs = ctfdw_vstore_open(&c->opts, cxt);
	initStringInfo(&root);
	if (c->opts.prefix && *c->opts.prefix)
		appendStringInfo(&root, "%s%s", c->opts.prefix,
						 c->opts.prefix[strlen(c->opts.prefix) - 1] == '/' ? "" : "/");
	appendStringInfoString(&root, "AWSLogs/");
	if (c->opts.organization_id)
		appendStringInfo(&root, "%s/", c->opts.organization_id);
	validate_root(c, root.data, c->opts.organization_id == NULL);
	ctfdw_vstore_counters(c->vs, &c->requests, &c->retries);
	c->bytes = c->vs->bytes;
	MemoryContextSwitchTo(old);
	c->keys = NIL;
	MemoryContextDelete(cxt);	/* the rows are in the caller's tuplestore */
}

/* The walk of either function: rows to the caller's tuplestore, or counts. */
static Val *
validate_call(FunctionCallInfo fcinfo, bool summary)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Val		   *c = palloc0(sizeof(Val));

	begin(c, fcinfo);
	InitMaterializedSRF(fcinfo, 0);
	c->ts = rsinfo->setResult;
	c->td = rsinfo->setDesc;
	c->summary = summary;
	run(c);
	return c;
}

Datum
cloudtrail_validate(PG_FUNCTION_ARGS)
{
	(void) validate_call(fcinfo, false);
	return (Datum) 0;
}

/*
 * The counts of the same walk by kind and status, with the window the
 * digests covered and the requests, bytes and retries it took.
 */
Datum
cloudtrail_validate_summary(PG_FUNCTION_ARGS)
{
	Val		   *c = validate_call(fcinfo, true);

	for (int k = 0; k < NKINDS; k++)
		for (int i = 0; i < NSTATUS && c->statuses[i]; i++)
		{
			Datum		values[8];
			bool		nulls[8] = {0};

			if (c->counts[k][i] == 0)
				continue;
			values[0] = CStringGetTextDatum(kind_names[k]);
			values[1] = CStringGetTextDatum(c->statuses[i]);
			values[2] = Int64GetDatum(c->counts[k][i]);
			values[3] = ts_datum(c->covered_lo == PG_INT64_MAX ? PG_INT64_MIN : c->covered_lo,
								 &nulls[3]);
			values[4] = ts_datum(c->covered_hi, &nulls[4]);
			values[5] = Int64GetDatum(c->requests);
			values[6] = Int64GetDatum(c->bytes);
			values[7] = Int64GetDatum(c->retries);
			tuplestore_putvalues(c->ts, c->td, values, nulls);
		}
	return (Datum) 0;
}

/*-------------------------------------------------------------------------
 *
 * ct_digest.h
 *		CloudTrail digest files: parsing, the data-to-sign, RSA signature
 *		checks, streaming SHA-256 of log files, ListPublicKeys replies.
 *
 * A digest is the gzipped JSON CloudTrail delivers every hour per account
 * and region (CloudTrail-Digest/); it lists the log files of its hour with
 * the SHA-256 of their inflated bytes, and names the digest before it.  Its
 * signature is the hex in the object's x-amz-meta-signature: SHA256withRSA
 * (RSASSA-PKCS1-v1_5) over four lines, see ct_digest_data_to_sign().
 *
 * Everything here is malloc-based and knows nothing of PostgreSQL.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_digest.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_DIGEST_H
#define CT_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

#include "ct_buf.h"

#define CT_LIST_PUBLIC_KEYS_TARGET \
	"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys"

/* One entry of logFiles[]; NULL where the member is absent or null. */
typedef struct CtDigestLog
{
	char	   *s3_bucket;		/* never NULL */
	char	   *s3_object;		/* never NULL */
	char	   *hash_value;		/* lowercase hex SHA-256 of the inflated file */
	char	   *hash_algorithm;
	char	   *newest_event_time;
	char	   *oldest_event_time;
} CtDigestLog;

/*
 * A parsed digest.  Strings are the JSON values, verbatim (the data-to-sign
 * uses them as found); NULL where the value is JSON null or the member is
 * absent (only the members not required below may be absent).
 */
typedef struct CtDigest
{
	char	   *aws_account_id;
	char	   *start_time;		/* required */
	char	   *end_time;		/* required */
	long long	start;			/* epoch seconds of start_time, if times_ok */
	long long	end;
	bool		times_ok;		/* both are YYYY-MM-DDTHH:MM:SSZ */
	char	   *s3_bucket;		/* digestS3Bucket, required */
	char	   *s3_object;		/* digestS3Object, required */
	char	   *fingerprint;	/* digestPublicKeyFingerprint, required */
	char	   *signature_algorithm;
	char	   *newest_event_time;
	char	   *oldest_event_time;
	char	   *prev_bucket;
	char	   *prev_object;
	char	   *prev_hash;		/* previousDigestHashValue */
	char	   *prev_hash_algorithm;
	char	   *prev_signature; /* the member is required, its value may be null */
	CtDigestLog *logs;
	int			nlogs;
	char		sha256[65];		/* hex SHA-256 of the inflated bytes parsed */
} CtDigest;

typedef enum CtDigestStatus
{
	CT_DIGEST_OK,
	CT_DIGEST_NOT_GZIP,			/* ct_digest_inflate: not gzip, corrupt or truncated */
	CT_DIGEST_NOT_JSON,			/* not a JSON object */
	CT_DIGEST_MISSING_KEY,		/* a required member is absent */
	CT_DIGEST_BAD_VALUE,		/* a member of the wrong type */
	CT_DIGEST_NO_MEMORY
} CtDigestStatus;

/*
 * Inflate a gzipped digest (its first gzip member, as aws-cli reads it;
 * *trailing tells whether bytes followed it).  At most max_len inflated bytes
 * (0: 64 MB).  CT_DIGEST_OK or CT_DIGEST_NOT_GZIP / CT_DIGEST_NO_MEMORY, with
 * a message in err.
 */
extern CtDigestStatus ct_digest_inflate(const void *gz, size_t len, size_t max_len,
										CtBuf *out, bool *trailing, char *err, size_t errlen);

/*
 * Parse the inflated bytes of a digest.  Required, as aws-cli requires them:
 * digestStartTime, digestEndTime, digestS3Bucket, digestS3Object,
 * digestPublicKeyFingerprint (strings), previousDigestSignature (string or
 * null); and logFiles, an array whose entries have s3Bucket and s3Object.
 * On failure *out is zeroed and err says which member.
 */
extern CtDigestStatus ct_digest_parse(const char *json, size_t len, CtDigest *out,
									  char *err, size_t errlen);
extern void ct_digest_free(CtDigest *d);
extern const char *ct_digest_status_name(CtDigestStatus s);

/*
 * The bytes the signature covers, NUL-terminated (*len without the NUL):
 *   digestEndTime \n digestS3Bucket "/" digestS3Object \n
 *   hex SHA-256 of the inflated digest \n previousDigestSignature or "null"
 * NULL when out of memory.
 */
extern char *ct_digest_data_to_sign(const CtDigest *d, size_t *len);

typedef enum CtSigResult
{
	CT_SIG_VERIFIED,
	CT_SIG_MISMATCH,			/* a well-formed signature that does not verify */
	CT_SIG_MALFORMED,			/* the signature is not hex (or empty) */
	CT_SIG_BAD_KEY,				/* the key is not an RSA public key in DER */
	CT_SIG_ERROR				/* out of memory, OpenSSL failure */
} CtSigResult;

/*
 * Check a hex SHA256withRSA signature of data with a DER public key:
 * PKCS#1 RSAPublicKey, as ListPublicKeys returns it, or X.509
 * SubjectPublicKeyInfo.
 */
extern CtSigResult ct_digest_verify(const void *data, size_t len, const char *sig_hex,
									const unsigned char *der, size_t der_len);
extern const char *ct_sig_result_name(CtSigResult r);

/* Lowercase hex MD5 of a DER key: CloudTrail's fingerprint of it. */
extern void ct_key_fingerprint(const unsigned char *der, size_t der_len, char out[33]);

/* Strict base64 (padding required, no white space); malloc'd, NULL if bad. */
extern unsigned char *ct_base64_decode(const char *s, size_t len, size_t *out_len);

/* Streaming SHA-256, fed as bytes arrive. */
typedef struct CtSha256 CtSha256;

extern CtSha256 *ct_sha256_new(void);
extern bool ct_sha256_update(CtSha256 *h, const void *data, size_t len);
extern bool ct_sha256_final(CtSha256 *h, char hex[65]);	/* then only free */
extern void ct_sha256_free(CtSha256 *h);

/*
 * A log file's hash as its compressed bytes arrive: inflates the first gzip
 * member and hashes what it yields, nothing held but zlib's window.
 */
typedef enum CtLogHashState
{
	CT_LOGHASH_OK,				/* the member ended; hex is its hash */
	CT_LOGHASH_TRUNCATED,		/* the bytes ended inside the member */
	CT_LOGHASH_INVALID,			/* not gzip, or corrupt */
	CT_LOGHASH_TOO_LARGE,		/* inflates to more than the limit */
	CT_LOGHASH_ERROR			/* out of memory */
} CtLogHashState;

typedef struct CtLogHash CtLogHash;

/* max_inflated: 0 for no limit */
extern CtLogHash *ct_loghash_new(long long max_inflated);
/* false once the state is no longer OK-so-far (INVALID, TOO_LARGE, ERROR) */
extern bool ct_loghash_feed(CtLogHash *lh, const void *data, size_t len);

typedef struct CtLogHashResult
{
	CtLogHashState state;
	char		hex[65];		/* SHA-256 of the bytes inflated (all states but ERROR) */
	long long	inflated;		/* bytes inflated */
	long long	trailing;		/* bytes after the first member (OK only) */
	char		err[128];
} CtLogHashResult;

extern void ct_loghash_finish(CtLogHash *lh, CtLogHashResult *out);
extern void ct_loghash_free(CtLogHash *lh);

/* One key of a ListPublicKeys reply. */
typedef struct CtPublicKey
{
	unsigned char *der;
	size_t		der_len;
	long long	valid_from;		/* epoch seconds */
	long long	valid_to;
	char		fingerprint[33];	/* as the reply says it */
	bool		fingerprint_ok; /* it is the MD5 of der */
} CtPublicKey;

typedef struct CtPublicKeyList
{
	CtPublicKey *keys;
	int			nkeys;
	char	   *next_token;		/* NULL: last page */
} CtPublicKeyList;

/* The request body: {"StartTime": s, "EndTime": e[, "NextToken": t]} */
extern char *ct_public_keys_body(long long start, long long end, const char *next_token);
extern bool ct_public_keys_parse(const char *body, size_t len, CtPublicKeyList *out,
								 char *err, size_t errlen);
extern void ct_public_keys_free(CtPublicKeyList *l);
/* The key with this fingerprint, or NULL. */
extern const CtPublicKey *ct_public_keys_find(const CtPublicKeyList *l, const char *fingerprint);

#endif							/* CT_DIGEST_H */

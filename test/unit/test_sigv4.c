/*
 * test_sigv4.c
 *		SigV4 against the official AWS test suite (both published layouts)
 *		and the S3 documentation examples in ../shared/data/sigv4.
 */
#include <dirent.h>
#include <json.h>

#include "ct_sigv4.h"
#include "unit.h"

typedef struct ParsedReq
{
	char		method[16];
	char	   *path;
	char	   *query;
	CtHeader	headers[32];
	int			nheaders;
	char	   *body;
} ParsedReq;

/* Parse a raw HTTP request as the suites write it (LF line ends). */
static int
parse_req(char *text, ParsedReq *r)
{
	char	   *line = text,
			   *nl,
			   *sp,
			   *uri;
	char	   *lastval = NULL;

	memset(r, 0, sizeof(*r));
	nl = strchr(line, '\n');
	if (nl)
		*nl = '\0';
	sp = strchr(line, ' ');
	if (!sp)
		return 0;
	snprintf(r->method, sizeof(r->method), "%.*s", (int) (sp - line), line);
	uri = sp + 1;
	sp = strrchr(uri, ' ');		/* " HTTP/1.1" */
	if (sp)
		*sp = '\0';
	r->query = strchr(uri, '?');
	if (r->query)
		*r->query++ = '\0';
	else
		r->query = "";
	r->path = uri;
	r->body = "";
	line = nl ? nl + 1 : NULL;
	while (line && *line)
	{
		if (*line == '\n')
		{
			/* an empty line ends the headers; what follows is the body */
			r->body = line + 1;
			break;
		}
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		if ((*line == ' ' || *line == '\t') && lastval)
		{
			/* continuation line: the value goes on, joined by a newline */
			char	   *joined = malloc(strlen(lastval) + strlen(line) + 2);

			sprintf(joined, "%s\n%s", lastval, line);
			r->headers[r->nheaders - 1].value = lastval = joined;
		}
		else
		{
			char	   *colon = strchr(line, ':');

			if (!colon || r->nheaders == 32)
				return 0;
			*colon = '\0';
			r->headers[r->nheaders].name = line;
			r->headers[r->nheaders].value = lastval = colon + 1;
			r->nheaders++;
		}
		line = nl ? nl + 1 : NULL;
	}
	return 1;
}

static void
check_case(const char *dir, const char *name, const char *token)
{
	char		path[1024],
				label[256];
	char	   *req,
			   *creq_want,
			   *sts_want,
			   *authz_want;
	ParsedReq	r;
	CtSignRequest s;
	CtBuf		creq = CT_BUF_INIT,
				sts = CT_BUF_INIT,
				authz = CT_BUF_INIT;
	char		phash[65];
	CtCredentials cred = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", NULL};

	snprintf(path, sizeof(path), "%s/%s.req", dir, name);
	req = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.creq", dir, name);
	creq_want = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.sts", dir, name);
	sts_want = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/%s.authz", dir, name);
	authz_want = unit_slurp(path, NULL);
	snprintf(label, sizeof(label), "botocore suite %s: parse", name);
	if (!unit_ok(req && creq_want && sts_want && authz_want && parse_req(req, &r), label))
		return;
	if (token)
	{
		/* the suite's .req leaves out the token the signer adds */
		r.headers[r.nheaders].name = "X-Amz-Security-Token";
		r.headers[r.nheaders++].value = token;
	}
	ct_sha256_hex(phash, r.body, strlen(r.body));
	s = (CtSignRequest)
	{
		r.method, r.path, r.query, r.headers, r.nheaders, phash,
			"us-east-1", "service", "20150830T123600Z", false
	};
	ct_sigv4_canonical_request(&creq, &s);
	snprintf(label, sizeof(label), "botocore suite %s: canonical request", name);
	unit_is(creq.data, creq_want, label);
	ct_sigv4_string_to_sign(&sts, &s, creq.data);
	snprintf(label, sizeof(label), "botocore suite %s: string to sign", name);
	unit_is(sts.data, sts_want, label);
	ct_sigv4_authorization(&authz, &cred, &s);
	snprintf(label, sizeof(label), "botocore suite %s: authorization", name);
	unit_is(authz.data, authz_want, label);
	ct_buf_free(&creq);
	ct_buf_free(&sts);
	ct_buf_free(&authz);
}

static void
botocore_suite(void)
{
	char		base[512];
	DIR		   *d;
	struct dirent *e;
	int			n = 0;

	snprintf(base, sizeof(base), "%s/sigv4/botocore-aws4_testsuite", SHARED_DATA);
	d = opendir(base);
	if (!unit_ok(d != NULL, "botocore suite directory exists"))
		return;
	while ((e = readdir(d)) != NULL)
	{
		char		dir[1024];

		if (e->d_name[0] == '.' || strcmp(e->d_name, "LICENSE") == 0 ||
			strcmp(e->d_name, "NOTICE") == 0)
			continue;
		if (strcmp(e->d_name, "normalize-path") == 0 || strcmp(e->d_name, "post-sts-token") == 0)
		{
			DIR		   *sub;
			struct dirent *f;

			snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
			sub = opendir(dir);
			while (sub && (f = readdir(sub)) != NULL)
			{
				char		subdir[1536];

				if (f->d_name[0] == '.' || strstr(f->d_name, ".txt"))
					continue;
				/* the request line of get-space is not valid HTTP (a raw space) */
				if (strcmp(f->d_name, "get-space") == 0)
					continue;
				snprintf(subdir, sizeof(subdir), "%s/%s", dir, f->d_name);
				check_case(subdir, f->d_name, NULL);
				n++;
			}
			if (sub)
				closedir(sub);
			continue;
		}
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		check_case(dir, e->d_name,
				   strcmp(e->d_name, "get-vanilla-with-session-token") == 0 ?
				   "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267" : NULL);
		n++;
	}
	closedir(d);
	unit_ok(n >= 30, "botocore suite: at least 30 cases ran");
}

/* The aws-c-auth layout: context.json, request.txt, header-*.txt */
static void
crt_case(const char *dir, const char *name)
{
	char		path[1024],
				label[256],
				amzdate[] = "20150830T123600Z";
	char	   *ctx_text,
			   *req,
			   *creq_want,
			   *sts_want,
			   *sig_want;
	json_object *ctx,
			   *creds,
			   *v;
	ParsedReq	r;
	CtSignRequest s;
	CtBuf		creq = CT_BUF_INIT,
				sts = CT_BUF_INIT;
	char		phash[65],
				sig[65];
	bool		normalize = true,
				sign_body = false,
				omit_token = false;
	const char *secret,
			   *token = NULL;

	snprintf(path, sizeof(path), "%s/context.json", dir);
	ctx_text = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/request.txt", dir);
	req = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/header-canonical-request.txt", dir);
	creq_want = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/header-string-to-sign.txt", dir);
	sts_want = unit_slurp(path, NULL);
	snprintf(path, sizeof(path), "%s/header-signature.txt", dir);
	sig_want = unit_slurp(path, NULL);
	snprintf(label, sizeof(label), "aws-c-auth suite %s: files", name);
	if (!unit_ok(ctx_text && req && creq_want && sts_want && sig_want &&
				 parse_req(req, &r), label))
		return;
	ctx = json_tokener_parse(ctx_text);
	creds = json_object_object_get(ctx, "credentials");
	secret = json_object_get_string(json_object_object_get(creds, "secret_access_key"));
	if (json_object_object_get_ex(creds, "token", &v))
		token = json_object_get_string(v);
	if (json_object_object_get_ex(ctx, "normalize", &v))
		normalize = json_object_get_boolean(v);
	if (json_object_object_get_ex(ctx, "sign_body", &v))
		sign_body = json_object_get_boolean(v);
	if (json_object_object_get_ex(ctx, "omit_session_token", &v))
		omit_token = json_object_get_boolean(v);
	ct_sha256_hex(phash, r.body, strlen(r.body));
	/* the signer adds these headers, as the suite expects */
	r.headers[r.nheaders].name = "X-Amz-Date";
	r.headers[r.nheaders++].value = amzdate;
	if (token && !omit_token)
	{
		r.headers[r.nheaders].name = "X-Amz-Security-Token";
		r.headers[r.nheaders++].value = token;
	}
	if (sign_body)
	{
		r.headers[r.nheaders].name = "x-amz-content-sha256";
		r.headers[r.nheaders++].value = phash;
	}
	s = (CtSignRequest)
	{
		r.method, r.path, r.query, r.headers, r.nheaders, phash,
			"us-east-1", "service", amzdate, !normalize
	};
	ct_sigv4_canonical_request(&creq, &s);
	snprintf(label, sizeof(label), "aws-c-auth suite %s: canonical request", name);
	unit_is(creq.data, creq_want, label);
	ct_sigv4_string_to_sign(&sts, &s, creq.data);
	snprintf(label, sizeof(label), "aws-c-auth suite %s: string to sign", name);
	unit_is(sts.data, sts_want, label);
	ct_sigv4_signature(sig, secret, &s, sts.data);
	snprintf(label, sizeof(label), "aws-c-auth suite %s: signature", name);
	unit_is(sig, sig_want, label);
	json_object_put(ctx);
	ct_buf_free(&creq);
	ct_buf_free(&sts);
}

static void
crt_suite(void)
{
	char		base[512];
	DIR		   *d;
	struct dirent *e;
	int			n = 0;

	snprintf(base, sizeof(base), "%s/sigv4/aws-c-auth/v4", SHARED_DATA);
	d = opendir(base);
	if (!unit_ok(d != NULL, "aws-c-auth suite directory exists"))
		return;
	while ((e = readdir(d)) != NULL)
	{
		char		dir[1024];

		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", base, e->d_name);
		crt_case(dir, e->d_name);
		n++;
	}
	closedir(d);
	unit_ok(n == 38, "aws-c-auth suite: all 38 cases ran");
}

/*
 * S3 documentation examples: rebuild the request from the published
 * canonical request, and check that we produce the same canonical request
 * and the published signature.
 */
static void
s3_examples(void)
{
	char		path[512];
	char	   *text;
	json_object *doc,
			   *vectors;
	const char *secret;
	int			checked = 0;

	snprintf(path, sizeof(path), "%s/sigv4/s3-doc-examples/s3_sigv4_doc_examples.json", SHARED_DATA);
	text = unit_slurp(path, NULL);
	if (!unit_ok(text != NULL, "S3 examples file"))
		return;
	doc = json_tokener_parse(text);
	secret = json_object_get_string(json_object_object_get(
														   json_object_object_get(doc, "credentials"), "secret_access_key"));
	vectors = json_object_object_get(doc, "vectors");
	for (size_t i = 0; i < json_object_array_length(vectors); i++)
	{
		json_object *v = json_object_array_get_idx(vectors, i);
		json_object *cr;
		char	   *creq_text,
				   *lines[40];
		int			nl = 0;
		CtHeader	headers[16];
		int			nh = 0;
		CtSignRequest s;
		CtBuf		creq = CT_BUF_INIT,
					sts = CT_BUF_INIT;
		char		sig[65],
					label[256];
		const char *name = json_object_get_string(json_object_object_get(v, "name"));

		if (!json_object_object_get_ex(v, "canonical_request", &cr))
			continue;			/* the presigned-URL example */
		creq_text = strdup(json_object_get_string(cr));
		for (char *p = creq_text; p && nl < 40;)
		{
			lines[nl++] = p;
			p = strchr(p, '\n');
			if (p)
				*p++ = '\0';
		}
		/* method, path, query, headers..., "", signed, hash */
		for (int j = 3; j < nl - 3; j++)
		{
			char	   *c = strchr(lines[j], ':');

			*c = '\0';
			headers[nh].name = lines[j];
			headers[nh++].value = c + 1;
		}
		s = (CtSignRequest)
		{
			lines[0], lines[1], lines[2], headers, nh, lines[nl - 1],
				"us-east-1", "s3", "20130524T000000Z", false
		};
		ct_sigv4_canonical_request(&creq, &s);
		snprintf(label, sizeof(label), "S3 example %s: canonical request", name);
		unit_is(creq.data, json_object_get_string(cr), label);
		ct_sigv4_string_to_sign(&sts, &s, creq.data);
		snprintf(label, sizeof(label), "S3 example %s: string to sign", name);
		unit_is(sts.data, json_object_get_string(json_object_object_get(v, "string_to_sign")), label);
		ct_sigv4_signature(sig, secret, &s, sts.data);
		snprintf(label, sizeof(label), "S3 example %s: signature", name);
		unit_is(sig, json_object_get_string(json_object_object_get(v, "expected_signature")), label);
		ct_buf_free(&creq);
		ct_buf_free(&sts);
		checked++;
	}
	unit_ok(checked >= 4, "S3 examples: at least 4 header-signed examples checked");
	json_object_put(doc);
}

int
main(void)
{
	botocore_suite();
	crt_suite();
	s3_examples();
	return unit_done();
}

/*-------------------------------------------------------------------------
 *
 * credentials.c
 *		The AWS credentials a scan signs with.
 *
 * The user mapping names one source: its own keys; or, superuser only, the
 * database server's own identity -- a profile of the server's shared AWS
 * files, a credential_process command, or the AWS SDKs' default chain
 * (environment, shared files, web identity token file, ECS container
 * endpoint, EC2 instance metadata with IMDSv2).  Then, with role_arn (user
 * mapping or server), temporary credentials from STS AssumeRole obtained
 * with those: the way to read other accounts.
 *
 * Temporary credentials are cached in the backend, keyed by a hash of
 * everything that determines them -- so ALTER USER MAPPING takes effect at
 * once -- and fetched again five minutes before they expire or when AWS
 * says ExpiredToken.  They are never fetched per request.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/credentials.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/memutils.h"

#include "cloudtrail_fdw.h"
#include "session.h"
#include "ct_config.h"
#include "ct_http.h"
#include "ct_sts.h"

extern char **environ;

#define REFRESH_MARGIN 300		/* seconds before expiry to fetch anew */
#define MAX_PROFILE_DEPTH 5		/* source_profile hops */
#define MAX_PROCESS_OUTPUT (64 * 1024)

typedef struct CachedCredentials
{
	char		key[65];		/* sha256 of what determines them */
	CtCredentials cred;			/* malloc'd, outlive queries */
	long long	expiration;
} CachedCredentials;

static CachedCredentials *cache;	/* in TopMemoryContext */
static int	ncache;
static int	maxcache;

/* What STS AssumeRole is asked for. */
typedef struct AssumeSpec
{
	const char *arn;
	const char *external_id;	/* or NULL */
	const char *session_name;
	int			duration;
} AssumeSpec;

/* The server's shared AWS files, read for one resolution. */
typedef struct SharedFiles
{
	char	   *cred_path;
	char	   *conf_path;
	char	   *cred;			/* "" when the file does not exist */
	char	   *conf;
} SharedFiles;

/* The entry for what the text describes (hashed, then wiped); new ones are empty. */
static CachedCredentials *
cache_find(StringInfo what)
{
	char		key[65];

	ct_sha256_hex(key, what->data, what->len);
	explicit_bzero(what->data, what->len);
	pfree(what->data);
	for (int i = 0; i < ncache; i++)
		if (strcmp(cache[i].key, key) == 0)
			return &cache[i];
	if (ncache == maxcache)
	{
		maxcache = maxcache ? maxcache * 2 : 4;
		cache = cache ? repalloc(cache, sizeof(CachedCredentials) * maxcache) :
			MemoryContextAlloc(TopMemoryContext, sizeof(CachedCredentials) * maxcache);
	}
	memset(&cache[ncache], 0, sizeof(CachedCredentials));
	strlcpy(cache[ncache].key, key, sizeof(cache[ncache].key));
	return &cache[ncache++];
}

static bool
stale(CachedCredentials *c, bool expired)
{
	return c->cred.access_key_id == NULL || expired ||
		(long long) time(NULL) >= c->expiration - REFRESH_MARGIN;
}

static void
cache_store(CachedCredentials *c, CtCredentials *fresh, long long expiration)
{
	ct_credentials_free(&c->cred);
	c->cred = *fresh;
	c->expiration = expiration;
}

static char *
slurp(const char *path)
{
	FILE	   *f = AllocateFile(path, "r");
	StringInfoData b;
	char		chunk[4096];
	size_t		n;

	if (!f)
		return NULL;
	initStringInfo(&b);
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		appendBinaryStringInfo(&b, chunk, n);
	FreeFile(f);
	while (b.len > 0 && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r' || b.data[b.len - 1] == ' '))
		b.data[--b.len] = '\0';
	return b.data;
}

static char *
sts_url(CtFdwOptions *o)
{
	return ctfdw_endpoint(o, CT_SERVICE_STS, o->region);
}

/* AWS_ACCESS_KEY_ID and friends in the database server's environment (not copied) */
static bool
from_environment(CtCredentials *out)
{
	char	   *tok = getenv("AWS_SESSION_TOKEN") ? getenv("AWS_SESSION_TOKEN") : getenv("AWS_SECURITY_TOKEN");

	if (!getenv("AWS_ACCESS_KEY_ID") || !getenv("AWS_SECRET_ACCESS_KEY"))
		return false;
	out->access_key_id = getenv("AWS_ACCESS_KEY_ID");
	out->secret_access_key = getenv("AWS_SECRET_ACCESS_KEY");
	out->session_token = tok && *tok ? tok : NULL;
	return true;
}

/* errdetail() of a failed STS call: the transfer's error, or STS's. */
static int
sts_error_detail(long status, const char *body, const char *curl_err)
{
	CtAwsError e;

	if (status == 0)
		return errdetail_internal("%s", curl_err);
	ct_parse_aws_error(body, strlen(body), &e);
	if (e.code[0])
		return errdetail("AWS error %s (HTTP %ld, request id %s): %s", e.code, status,
						 e.request_id[0] ? e.request_id : "none", e.message);
	return errdetail("HTTP status %ld.", status);
}

/* AssumeRoleWithWebIdentity (unsigned) with the token in a file; ERROR on failure. */
static void
web_identity(CtFdwOptions *o, const char *token_file, const char *role_arn,
			 const char *session_name, CtCredentials *out, long long *exp)
{
	char	   *token = slurp(token_file);
	char	   *form,
			   *post,
			   *body;
	char		err[256],
				cerr[256];
	long		status;
	const char *h[1] = {"Content-Type: application/x-www-form-urlencoded; charset=utf-8"};

	if (!token)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read web identity token file \"%s\": %m", token_file)));
	form = ct_sts_web_identity_body(role_arn, session_name, token);
	explicit_bzero(token, strlen(token));
	if (!form)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	post = pstrdup(form);
	explicit_bzero(form, strlen(form));
	free(form);
	status = ctfdw_http_once(o, NULL, sts_url(o), h, 1, post, o->connect_timeout_ms, &body, cerr);
	if (status == 200 && ct_sts_parse(body, strlen(body), out, exp, err, sizeof(err)))
		return;
	if (status == 200)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("could not assume role \"%s\" with the web identity token", role_arn),
				 errdetail_internal("%s", err)));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not assume role \"%s\" with the web identity token", role_arn),
			 sts_error_detail(status, body, cerr)));
}

/* The ECS container endpoint, if the environment names one; ERROR if it fails. */
static bool
from_container(CtFdwOptions *o, CtCredentials *out, long long *exp)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tokfile = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	char	   *auth,
			   *body;
	const char *h[1];
	char		err[256],
				cerr[256];
	long		status;

	if (!rel && !full)
		return false;
	auth = tokfile ? slurp(tokfile) :
		(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN") ? pstrdup(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN")) : NULL);
	if (auth)
		h[0] = psprintf("Authorization: %s", auth);
	status = ctfdw_http_once(o, NULL, rel ? psprintf("http://169.254.170.2%s", rel) : pstrdup(full),
					   h, auth ? 1 : 0, NULL, 2000, &body, cerr);
	if (status == 200 && ct_parse_json_credentials(body, strlen(body), out, exp, err, sizeof(err)))
		return true;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("could not get credentials from the container endpoint"),
			 errdetail("HTTP status %ld%s%s.", status, cerr[0] ? ": " : "", cerr)));
	return false;
}

/* EC2 instance metadata, IMDSv2: a session token first (PUT), then the role's credentials. */
static bool
from_instance_metadata(CtFdwOptions *o, CtCredentials *out, long long *exp)
{
	const char *v = getenv("AWS_EC2_METADATA_DISABLED");
	const char *base = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") ?
		getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT") : "http://169.254.169.254/";
	const char *slash = base[strlen(base) - 1] == '/' ? "" : "/";
	const char *ttl[1] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600"};
	const char *h[1];
	char	   *token,
			   *role,
			   *body;
	char		err[256],
				cerr[256];

	if (v && pg_strcasecmp(v, "true") == 0)
		return false;
	if (ctfdw_http_once(o, "PUT", psprintf("%s%slatest/api/token", base, slash), ttl, 1, NULL,
				  1000, &token, cerr) != 200)
		return false;
	h[0] = psprintf("X-aws-ec2-metadata-token: %s", token);
	if (ctfdw_http_once(o, NULL, psprintf("%s%slatest/meta-data/iam/security-credentials/", base, slash),
				  h, 1, NULL, 1000, &role, cerr) != 200 || !role[0])
		return false;
	role[strcspn(role, "\r\n")] = '\0';
	return ctfdw_http_once(o, NULL, psprintf("%s%slatest/meta-data/iam/security-credentials/%s", base, slash, role),
					 h, 1, NULL, 1000, &body, cerr) == 200 &&
		ct_parse_json_credentials(body, strlen(body), out, exp, err, sizeof(err));
}

/*
 * Start argv with stdin from /dev/null, stdout and stderr into out_fd and
 * err_fd, no blocked signals and default handlers.  posix_spawnp's result.
 */
static int
spawn_child(char **argv, int out_fd, int err_fd, pid_t *child)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t	mask,
				dfl;
	int			rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, err_fd, 2);
	posix_spawnattr_init(&attr);
	sigemptyset(&mask);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGQUIT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGUSR1);
	sigaddset(&dfl, SIGUSR2);
	sigaddset(&dfl, SIGALRM);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&attr, &mask);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawnp(child, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

/*
 * Read the child's stdout and stderr (fds[0], fds[1]) into bufs until both
 * close, interruptibly; each pipe is closed, and set to -1, at its end.
 */
static void
drain_pipes(volatile int *fds, StringInfo *bufs, const char *name)
{
	while (fds[0] >= 0 || fds[1] >= 0)
	{
		struct pollfd pf[2];
		int			n = 0;

		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				pf[n++] = (struct pollfd) {.fd = fds[i], .events = POLLIN};
		if (poll(pf, n, 100) < 0 && errno != EINTR)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not poll pipe: %m")));
		CHECK_FOR_INTERRUPTS();
		for (int j = 0; j < n; j++)
		{
			int			i = pf[j].fd == fds[0] ? 0 : 1;
			char		chunk[4096];
			ssize_t		r;

			if (!pf[j].revents)
				continue;
			r = read(fds[i], chunk, sizeof(chunk));
			if (r > 0)
			{
				if (bufs[i]->len + r > MAX_PROCESS_OUTPUT)
					ereport(ERROR,
							(errcode(ERRCODE_FDW_REPLY_HANDLE),
							 errmsg("credential_process \"%s\" printed more than %d bytes",
									name, MAX_PROCESS_OUTPUT)));
				appendBinaryStringInfo(bufs[i], chunk, r);
			}
			else if (r == 0 || (errno != EINTR && errno != EAGAIN))
			{
				close(fds[i]);
				fds[i] = -1;
			}
		}
	}
}

/*
 * Run a credential_process command (split like a shell would, run without
 * one) and read the credentials it prints.  The wait is interruptible; on
 * ERROR the child is killed and reaped, and the pipes closed.
 */
static void
run_process(const char *command, CtCredentials *out, long long *exp)
{
	char		err[256];
	char	  **argv = ct_split_command(command, err, sizeof(err));
	char	  **pargv;
	int			argc;
	volatile int fds[2] = {-1, -1};
	volatile pid_t pid = 0;
	StringInfoData so,
				se;
	int			status = 0;

	if (!argv)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid credential_process: %s", err)));
	for (argc = 0; argv[argc]; argc++)
		;
	pargv = palloc0(sizeof(char *) * (argc + 1));
	for (int i = 0; i < argc; i++)
		pargv[i] = pstrdup(argv[i]);
	ct_free_argv(argv);
	initStringInfo(&so);
	initStringInfo(&se);

	PG_TRY();
	{
		int			outp[2],
					errp[2],
					rc;
		pid_t		child;
		StringInfo	bufs[2] = {&so, &se};

		if (pipe2(outp, O_CLOEXEC) != 0)
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not create pipe: %m")));
		fds[0] = outp[0];
		if (pipe2(errp, O_CLOEXEC) != 0)
		{
			close(outp[1]);
			ereport(ERROR, (errcode_for_file_access(), errmsg("could not create pipe: %m")));
		}
		fds[1] = errp[0];
		rc = spawn_child(pargv, outp[1], errp[1], &child);
		close(outp[1]);
		close(errp[1]);
		if (rc != 0)
		{
			errno = rc;
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not run credential_process \"%s\": %m", pargv[0])));
		}
		pid = child;

		drain_pipes(fds, bufs, pargv[0]);
		/* both pipes are closed: the child is exiting (or wants to be waited for) */
		while ((rc = waitpid(pid, &status, WNOHANG)) == 0 || (rc < 0 && errno == EINTR))
		{
			pg_usleep(10000);
			CHECK_FOR_INTERRUPTS();
		}
		pid = 0;
	}
	PG_FINALLY();
	{
		if (pid > 0)
		{
			kill(pid, SIGKILL);
			while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
				;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	PG_END_TRY();

	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
	{
		while (se.len > 0 && isspace((unsigned char) se.data[se.len - 1]))
			se.data[--se.len] = '\0';
		if (se.len > 1000)
			se.data[1000] = '\0';
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 WIFEXITED(status) ?
				 errmsg("credential_process \"%s\" failed with exit code %d", pargv[0], WEXITSTATUS(status)) :
				 errmsg("credential_process \"%s\" was terminated by signal %d", pargv[0], WTERMSIG(status)),
				 se.len ? errdetail("It printed: %s", se.data) : 0));
	}
	if (!ct_parse_process_credentials(so.data, so.len, out, exp, err, sizeof(err)))
	{
		explicit_bzero(so.data, so.len);
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				 errmsg("credential_process \"%s\" printed no usable credentials: %s", pargv[0], err)));
	}
	explicit_bzero(so.data, so.len);
}

/* Call STS AssumeRole with the base credentials; ERROR on failure. */
static void
assume_role(CtFdwOptions *o, const AssumeSpec *r, const CtCredentials *basep, CtCredentials *out,
			long long *expiration)
{
	CtCredentials base = *basep;
	CtEndpoint	ep;
	CtPrepared	prep;
	char		err[256];
	char	   *url = sts_url(o);
	char	   *body = ct_sts_assume_role_body(r->arn, r->session_name,
											   r->external_id, r->duration);

	if (!body)
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	if (!ct_parse_endpoint(url, &ep, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("invalid STS endpoint \"%s\": %s", url, err)));
	if (!ct_post_prepare(&prep, &ep, "sts", "application/x-www-form-urlencoded; charset=utf-8",
						 NULL, body, o->region, &base, (long long) time(NULL)))
	{
		ct_free_endpoint(&ep);
		free(body);
		ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory")));
	}
	ct_free_endpoint(&ep);
	{
		char	   *reply;
		char		cerr[256];
		long		status;
		/* palloc'd copies, so that nothing malloc'd is lost if the call errors out */
		char	   *purl = pstrdup(prep.url.data);
		char	   *pbody = pstrdup(body);
		const char **headers = palloc(sizeof(char *) * Max(prep.nheaders, 1));
		int			nheaders = prep.nheaders;

		for (int i = 0; i < nheaders; i++)
			headers[i] = pstrdup(prep.headers[i]);
		ct_prepared_free(&prep);
		free(body);
		status = ctfdw_http_once(o, NULL, purl, headers, nheaders, pbody, o->connect_timeout_ms, &reply, cerr);
		if (status != 200)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("could not assume role \"%s\"", r->arn),
					 sts_error_detail(status, reply, cerr)));
		if (!ct_sts_parse(reply, strlen(reply), out, expiration, err, sizeof(err)))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
					 errmsg("could not assume role \"%s\"", r->arn),
					 errdetail_internal("%s", err)));
	}
}

/*
 * Credentials that are fetched, and so cached: exactly one of command,
 * source, token_file, chain or (role with base) says how.
 */
typedef struct Fetch
{
	CtFdwOptions *o;
	const char *command;		/* credential_process */
	const char *source;			/* a profile's credential_source ... */
	const char *profile;		/* ... and that profile, for messages */
	const char *token_file;		/* AssumeRoleWithWebIdentity of role */
	bool		chain;			/* the default chain's remote sources */
	const AssumeSpec *role;		/* AssumeRole, with base */
	const CtCredentials *base;
} Fetch;

/* a profile's credential_source: one source of the chain, by the SDKs' name for it */
static void
fetch_named(const Fetch *f, CtCredentials *out, long long *exp)
{
	bool		found;
	CtCredentials env;

	if (strcmp(f->source, "Environment") == 0)
	{
		/* copied: the cache owns what it holds */
		if ((found = from_environment(&env)))
		{
			out->access_key_id = ct_strdup(env.access_key_id);
			out->secret_access_key = ct_strdup(env.secret_access_key);
			out->session_token = env.session_token ? ct_strdup(env.session_token) : NULL;
		}
	}
	else if (strcmp(f->source, "EcsContainer") == 0)
		found = from_container(f->o, out, exp);
	else if (strcmp(f->source, "Ec2InstanceMetadata") == 0)
		found = from_instance_metadata(f->o, out, exp);
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("AWS profile \"%s\" has an unknown credential_source \"%s\"", f->profile, f->source),
				 errhint("Use Environment, EcsContainer or Ec2InstanceMetadata.")));
	if (!found)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("AWS profile \"%s\": credential_source %s has no credentials", f->profile, f->source)));
}

/* the default chain after the environment and the shared files */
static void
fetch_chain(const Fetch *f, CtCredentials *out, long long *exp)
{
	const char *file = getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *session = getenv("AWS_ROLE_SESSION_NAME");

	if (file && getenv("AWS_ROLE_ARN"))
		web_identity(f->o, file, getenv("AWS_ROLE_ARN"), session ? session : f->o->role_session_name,
					 out, exp);
	else if (!from_container(f->o, out, exp) && !from_instance_metadata(f->o, out, exp))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("no AWS credentials found for the database server"),
				 errdetail("Tried: environment, shared files (profile \"default\"), web identity, container endpoint, EC2 instance metadata."),
				 errhint("Set credentials in the server's environment, or give the user mapping access_key_id and secret_access_key.")));
}

/*
 * Credentials go into HTTP headers (the key id into Authorization, the
 * token into x-amz-security-token): refuse any holding a control character,
 * whatever produced them.  The HTTP layer would refuse the request anyway;
 * this says where the bad value came from.
 */
static bool
credentials_safe(const CtCredentials *c)
{
	return ct_http_safe_value(c->access_key_id) && ct_http_safe_value(c->secret_access_key) &&
		(!c->session_token || ct_http_safe_value(c->session_token));
}

static void
unsafe_credentials(const char *from)
{
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
			 errmsg("AWS credentials from %s hold a control character", from),
			 errdetail("Credentials go into HTTP headers, where a carriage return or line feed would add headers or requests of their own.")));
}

/* The cached credentials f describes, fetched if missing or stale. */
static void
fetch_cached(const Fetch *f, bool expired, CtCredentials *out)
{
	StringInfoData what;
	CachedCredentials *c;

	initStringInfo(&what);
	if (f->command)
		appendStringInfo(&what, "process\n%s", f->command);
	else if (f->source)
		appendStringInfo(&what, "source\n%s", f->source);
	else if (f->chain)
		appendStringInfoString(&what, "default chain");
	else if (f->token_file)
		appendStringInfo(&what, "web identity\n%s\n%s\n%s\n%s", f->token_file, f->role->arn,
						 f->role->session_name, sts_url(f->o));
	else
		appendStringInfo(&what, "role\n%s\n%s\n%s\n%s\n%s\n%s\n%d\n%s\n%s", f->base->access_key_id,
						 f->base->secret_access_key, f->base->session_token ? f->base->session_token : "",
						 f->role->arn, f->role->external_id ? f->role->external_id : "",
						 f->role->session_name, f->role->duration, sts_url(f->o), f->o->region);
	c = cache_find(&what);
	if (stale(c, expired))
	{
		CtCredentials fresh = {0};
		long long	exp = LLONG_MAX;

		if (f->command)
			run_process(f->command, &fresh, &exp);
		else if (f->source)
			fetch_named(f, &fresh, &exp);
		else if (f->chain)
			fetch_chain(f, &fresh, &exp);
		else if (f->token_file)
			web_identity(f->o, f->token_file, f->role->arn, f->role->session_name, &fresh, &exp);
		else
			assume_role(f->o, f->role, f->base, &fresh, &exp);
		if (!credentials_safe(&fresh))
		{
			ct_credentials_free(&fresh);
			unsafe_credentials(f->command ? "credential_process" :
							   f->source ? psprintf("credential_source %s of AWS profile \"%s\"", f->source, f->profile) :
							   f->chain ? "the database server's default chain" :
							   f->token_file ? psprintf("AssumeRoleWithWebIdentity of role \"%s\"", f->role->arn) :
							   psprintf("AssumeRole of role \"%s\"", f->role->arn));
		}
		cache_store(c, &fresh, exp);
	}
	*out = c->cred;
}

/* AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials, and the like */
static char *
shared_path(const char *var, const char *leaf)
{
	const char *v = getenv(var);
	char		home[MAXPGPATH];

	if (v && *v)
	{
		if (v[0] == '~' && v[1] == '/' && get_home_path(home))
			return psprintf("%s%s", home, v + 1);
		return pstrdup(v);
	}
	if (!get_home_path(home))
		return pstrdup("~/.aws/" );
	return psprintf("%s/.aws/%s", home, leaf);
}

static char *
read_shared(const char *path)
{
	char	   *text = slurp(path);

	if (!text && errno != ENOENT)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read AWS file \"%s\": %m", path)));
	return text ? text : pstrdup("");
}

static void
load_shared_files(SharedFiles *f)
{
	f->cred_path = shared_path("AWS_SHARED_CREDENTIALS_FILE", "credentials");
	f->conf_path = shared_path("AWS_CONFIG_FILE", "config");
	f->cred = read_shared(f->cred_path);
	f->conf = read_shared(f->conf_path);
}

/* The config file calls a profile [profile name], except [default]. */
static char *
config_section(const char *profile)
{
	return strcmp(profile, "default") == 0 ? pstrdup("default") : psprintf("profile %s", profile);
}

/* A non-empty setting of the profile: credentials file first, then config. */
static char *
profile_value(SharedFiles *f, const char *profile, const char *key)
{
	char	   *v = ct_ini_get(f->cred, strlen(f->cred), profile, key);
	char	   *copy = NULL;

	if (!v || !*v)
	{
		free(v);
		v = ct_ini_get(f->conf, strlen(f->conf), config_section(profile), key);
	}
	if (v && *v)
		copy = pstrdup(v);
	if (v)
		explicit_bzero(v, strlen(v));
	free(v);
	return copy;
}

static bool
profile_exists(SharedFiles *f, const char *profile)
{
	return ct_ini_has_section(f->cred, strlen(f->cred), profile) ||
		ct_ini_has_section(f->conf, strlen(f->conf), config_section(profile));
}

static bool
profile_keys(SharedFiles *f, const char *profile, CtCredentials *out)
{
	char	   *akid = profile_value(f, profile, "aws_access_key_id");
	char	   *secret = profile_value(f, profile, "aws_secret_access_key");
	char	   *token = profile_value(f, profile, "aws_session_token");

	if (!token)
		token = profile_value(f, profile, "aws_security_token");
	if (!akid || !secret)
		return false;
	out->access_key_id = akid;
	out->secret_access_key = secret;
	out->session_token = token;
	return true;
}

/*
 * A profile's credentials, as the SDKs resolve them: role_arn (with
 * source_profile, web_identity_token_file or credential_source), then
 * static keys, then credential_process.
 */
static void
profile_credentials(CtFdwOptions *o, SharedFiles *f, const char *name, int depth, bool expired,
					CtCredentials *out)
{
	char	   *role,
			   *proc;

	if (depth > MAX_PROFILE_DEPTH)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
				 errmsg("AWS profile \"%s\": source_profile goes more than %d profiles deep",
						name, MAX_PROFILE_DEPTH),
				 errhint("Look for a cycle of source_profile settings.")));
	if (!profile_exists(f, name))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("AWS profile \"%s\" not found", name),
				 errdetail("Looked in \"%s\" and \"%s\".", f->cred_path, f->conf_path)));
	if ((role = profile_value(f, name, "role_arn")) != NULL)
	{
		char	   *src = profile_value(f, name, "source_profile");
		char	   *csrc = profile_value(f, name, "credential_source");
		char	   *token_file = profile_value(f, name, "web_identity_token_file");
		char	   *dur = profile_value(f, name, "duration_seconds");
		AssumeSpec	r;
		CtCredentials base;

		r.arn = role;
		r.external_id = profile_value(f, name, "external_id");
		r.session_name = profile_value(f, name, "role_session_name");
		if (!r.session_name)
			r.session_name = o->role_session_name;
		r.duration = dur ? atoi(dur) : 3600;
		if (r.duration < 900 || r.duration > 43200)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
					 errmsg("AWS profile \"%s\": duration_seconds must be between 900 and 43200", name)));
		if (src && strcmp(src, name) == 0)
		{
			if (!profile_keys(f, name, &base))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
						 errmsg("AWS profile \"%s\" is its own source_profile but holds no keys", name)));
		}
		else if (src)
			profile_credentials(o, f, src, depth + 1, false, &base);
		else if (token_file)
		{
			fetch_cached(&(Fetch) {.o = o, .token_file = token_file, .role = &r}, expired, out);
			return;
		}
		else if (csrc)
			fetch_cached(&(Fetch) {.o = o, .source = csrc, .profile = name}, false, &base);
		else
			ereport(ERROR,
					(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
					 errmsg("AWS profile \"%s\" has role_arn but nothing to assume it with", name),
					 errhint("Give it source_profile, credential_source or web_identity_token_file.")));
		fetch_cached(&(Fetch) {.o = o, .role = &r, .base = &base}, expired, out);
		return;
	}
	if (profile_keys(f, name, out))
		return;
	if ((proc = profile_value(f, name, "credential_process")) != NULL)
	{
		fetch_cached(&(Fetch) {.o = o, .command = proc}, expired, out);
		return;
	}
	if (profile_value(f, name, "sso_session") || profile_value(f, name, "sso_start_url"))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("AWS profile \"%s\" uses IAM Identity Center (SSO), which is not supported", name),
				 errhint("Sign-in needs a person at a browser; give the user mapping keys, a role_arn, or a profile with credential_process.")));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
			 errmsg("AWS profile \"%s\" holds no credentials", name),
			 errhint("Give it aws_access_key_id and aws_secret_access_key, credential_process, or role_arn.")));
}

/*
 * The default chain, in the order of the AWS SDKs: environment, shared
 * files (profile AWS_PROFILE, else "default"), web identity token file,
 * container endpoint, instance metadata.  ERROR if no source answers.
 */
static void
default_chain(CtFdwOptions *o, bool expired, CtCredentials *out)
{
	SharedFiles f;
	const char *profile = getenv("AWS_PROFILE") && *getenv("AWS_PROFILE") ? getenv("AWS_PROFILE") : NULL;

	if (from_environment(out))
		return;
	load_shared_files(&f);
	if (profile || profile_exists(&f, "default"))
	{
		profile_credentials(o, &f, profile ? profile : "default", 0, expired, out);
		return;
	}

	fetch_cached(&(Fetch) {.o = o, .chain = true}, expired, out);
}

/*
 * Fill *out with the credentials to sign with, copied into cxt.  "expired"
 * says AWS just rejected the ones last handed out.
 */
void
ctfdw_credentials(CtFdwOptions *o, CtCredentials *out, bool expired, MemoryContext cxt)
{
	CtCredentials base = {0},
				use;
	bool		base_expired = expired && o->role_arn == NULL;

	if (o->default_chain)
		default_chain(o, base_expired, &base);
	else if (o->profile)
	{
		SharedFiles f;

		load_shared_files(&f);
		profile_credentials(o, &f, o->profile, 0, base_expired, &base);
	}
	else if (o->credential_process)
		fetch_cached(&(Fetch) {.o = o, .command = o->credential_process}, base_expired, &base);
	else if (o->access_key_id)
	{
		base.access_key_id = o->access_key_id;
		base.secret_access_key = o->secret_access_key;
		base.session_token = o->session_token;
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_FDW_UNABLE_TO_ESTABLISH_CONNECTION),
				 errmsg("no AWS credentials for this foreign table"),
				 errhint("Give the user mapping the options access_key_id and secret_access_key.")));
	if (!credentials_safe(&base))
		unsafe_credentials(o->default_chain ? "the database server's default chain" :
						   o->profile ? psprintf("AWS profile \"%s\"", o->profile) :
						   o->credential_process ? "credential_process" : "the user mapping");
	use = base;
	if (o->role_arn)
	{
		AssumeSpec	r = {o->role_arn, o->external_id, o->role_session_name, o->duration};

		fetch_cached(&(Fetch) {.o = o, .role = &r, .base = &base}, expired, &use);
	}
	out->access_key_id = MemoryContextStrdup(cxt, use.access_key_id);
	out->secret_access_key = MemoryContextStrdup(cxt, use.secret_access_key);
	out->session_token = use.session_token ? MemoryContextStrdup(cxt, use.session_token) : NULL;
}

/* Did AWS reject a request because credentials that can be fetched anew expired? */
bool
ctfdw_credentials_expired(CtFdwOptions *o, const char *aws_code)
{
	return (o->role_arn || o->default_chain || o->profile || o->credential_process) &&
		(strcmp(aws_code, "ExpiredToken") == 0 || strcmp(aws_code, "ExpiredTokenException") == 0);
}

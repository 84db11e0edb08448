/*
 * test_config.c
 *		Partition endpoint hosts, the shared AWS files, credential_process
 *		command lines and output.
 */
#include <limits.h>

#include "ct_config.h"
#include "ct_sts.h"
#include "unit.h"

static void
host_is(CtService svc, const char *region, bool fips, bool dual, const char *want)
{
	char	   *url = ct_service_url(svc, region, fips, dual);
	char		label[200];

	snprintf(label, sizeof(label), "%s in %s%s%s", want, region, fips ? ", FIPS" : "", dual ? ", dual-stack" : "");
	unit_is(url, want, label);
	free(url);
}

static void
endpoints(void)
{
	unit_is(ct_partition("eu-west-1"), "aws", "eu-west-1 is in aws");
	unit_is(ct_partition("cn-northwest-1"), "aws-cn", "cn-northwest-1 is in aws-cn");
	unit_is(ct_partition("us-gov-east-1"), "aws-us-gov", "us-gov-east-1 is in aws-us-gov");

	host_is(CT_SERVICE_S3, "us-east-1", false, false, "https://s3.us-east-1.amazonaws.com");
	host_is(CT_SERVICE_S3, "us-east-1", true, false, "https://s3-fips.us-east-1.amazonaws.com");
	host_is(CT_SERVICE_S3, "us-east-1", false, true, "https://s3.dualstack.us-east-1.amazonaws.com");
	host_is(CT_SERVICE_S3, "us-east-1", true, true, "https://s3-fips.dualstack.us-east-1.amazonaws.com");
	host_is(CT_SERVICE_S3, "cn-north-1", false, false, "https://s3.cn-north-1.amazonaws.com.cn");
	host_is(CT_SERVICE_S3, "cn-north-1", false, true, "https://s3.dualstack.cn-north-1.amazonaws.com.cn");
	host_is(CT_SERVICE_S3, "us-gov-west-1", true, false, "https://s3-fips.us-gov-west-1.amazonaws.com");

	host_is(CT_SERVICE_CLOUDTRAIL, "eu-west-1", false, false, "https://cloudtrail.eu-west-1.amazonaws.com");
	host_is(CT_SERVICE_CLOUDTRAIL, "us-east-2", true, false, "https://cloudtrail-fips.us-east-2.amazonaws.com");
	host_is(CT_SERVICE_CLOUDTRAIL, "eu-west-1", false, true, "https://cloudtrail.eu-west-1.api.aws");
	host_is(CT_SERVICE_CLOUDTRAIL, "us-east-1", true, true, "https://cloudtrail-fips.us-east-1.api.aws");
	host_is(CT_SERVICE_CLOUDTRAIL, "cn-north-1", false, false, "https://cloudtrail.cn-north-1.amazonaws.com.cn");
	host_is(CT_SERVICE_CLOUDTRAIL, "cn-north-1", false, true,
			"https://cloudtrail.cn-north-1.api.amazonwebservices.com.cn");
	host_is(CT_SERVICE_CLOUDTRAIL, "us-gov-west-1", true, false, "https://cloudtrail.us-gov-west-1.amazonaws.com");
	host_is(CT_SERVICE_CLOUDTRAIL, "us-gov-east-1", true, false, "https://cloudtrail.us-gov-east-1.amazonaws.com");

	host_is(CT_SERVICE_STS, "ap-south-1", false, false, "https://sts.ap-south-1.amazonaws.com");
	host_is(CT_SERVICE_STS, "us-west-2", true, false, "https://sts-fips.us-west-2.amazonaws.com");
	host_is(CT_SERVICE_STS, "us-gov-west-1", true, false, "https://sts.us-gov-west-1.amazonaws.com");
	host_is(CT_SERVICE_STS, "cn-north-1", false, false, "https://sts.cn-north-1.amazonaws.com.cn");
}

static void
get_is(const char *text, const char *section, const char *key, const char *want, const char *label)
{
	char	   *v = ct_ini_get(text, strlen(text), section, key);

	if (want)
		unit_is(v, want, label);
	else
		unit_ok(v == NULL, label);
	free(v);
}

static void
ini(void)
{
	const char *creds =
		"# a comment\n"
		"[default]\n"
		"aws_access_key_id = AKIADEFAULT\n"
		"aws_secret_access_key=secret/with=equals\n"
		"\n"
		"[analyst]\r\n"
		"aws_access_key_id =  AKIAANALYST  \r\n"
		"; another comment\n"
		"AWS_Secret_Access_Key = s2\n"
		"[ spaced   name ]\n"
		"aws_session_token = tok\n"
		"[analyst]\n"
		"aws_access_key_id = AKIALATER\n";
	const char *config =
		"[default]\n"
		"region = us-east-1\n"
		"[profile auditor]\n"
		"role_arn = arn:aws:iam::111111111111:role/audit\n"
		"source_profile = default\n"
		"s3 =\n"
		"  max_concurrent_requests = 20\n"
		"credential_process = /usr/bin/helper --account \"prod account\"\n"
		"[profile   tabbed]\n"
		"region: eu-west-1";

	get_is(creds, "default", "aws_access_key_id", "AKIADEFAULT", "a key of [default]");
	get_is(creds, "default", "aws_secret_access_key", "secret/with=equals", "a value keeps '=' after the first");
	get_is(creds, "analyst", "aws_access_key_id", "AKIALATER", "the last assignment wins, across repeated sections");
	get_is(creds, "analyst", "aws_secret_access_key", "s2", "keys compare without case; CRLF lines");
	get_is(creds, "spaced name", "aws_session_token", "tok", "section names compare with runs of blanks as one");
	get_is(creds, "default", "aws_session_token", NULL, "a key of another section is not found");
	get_is(creds, "nobody", "aws_access_key_id", NULL, "a missing section gives nothing");
	get_is(config, "profile auditor", "role_arn", "arn:aws:iam::111111111111:role/audit", "a config-file profile");
	get_is(config, "profile auditor", "max_concurrent_requests", NULL, "indented sub-settings are not keys");
	get_is(config, "profile auditor", "credential_process", "/usr/bin/helper --account \"prod account\"",
		   "a value after a nested block");
	get_is(config, "profile tabbed", "region", "eu-west-1", "':' assigns too; last line without newline");
	unit_ok(ct_ini_has_section(config, strlen(config), "profile auditor"), "the section exists");
	unit_ok(!ct_ini_has_section(config, strlen(config), "auditor"), "[profile x] is not [x]");
	get_is("[default\naws_access_key_id = x\n", "default", "aws_access_key_id", NULL, "an unclosed section header opens nothing");
	get_is("", "default", "x", NULL, "an empty file");
}

static void
argv_is(const char *cmd, const char *const *want, const char *label)
{
	char		err[128] = "";
	char	  **argv = ct_split_command(cmd, err, sizeof(err));
	int			ok = argv != NULL;
	int			i;

	for (i = 0; ok && want[i]; i++)
		ok = argv[i] && strcmp(argv[i], want[i]) == 0;
	ok = ok && argv[i] == NULL;
	if (!unit_ok(ok, label))
	{
		for (i = 0; argv && argv[i]; i++)
			printf("#   got[%d]: '%s'\n", i, argv[i]);
		if (!argv)
			printf("#   error: %s\n", err);
	}
	ct_free_argv(argv);
}

static void
commands(void)
{
	char		err[128];
	const char *const w1[] = {"/usr/bin/helper", "--account", "prod account", NULL};
	const char *const w2[] = {"a b", "c\"d", "e$f", "g h", "", NULL};
	const char *const w3[] = {"x", "it's", NULL};
	const char *const w4[] = {"", "x", NULL};

	argv_is("  /usr/bin/helper --account \"prod account\"  ", w1, "double quotes group words");
	argv_is("'a b' \"c\\\"d\" 'e$f' g\\ h ''", w2, "single quotes, escapes, an empty word");
	argv_is("x it\\'s", w3, "a backslash escapes a quote");
	argv_is("'' x", w4, "an empty first word");
	unit_ok(ct_split_command("echo 'open", err, sizeof(err)) == NULL &&
			strstr(err, "closing quotation") != NULL, "an unclosed quote is an error");
	unit_ok(ct_split_command("echo \\", err, sizeof(err)) == NULL, "a trailing backslash is an error");
	unit_ok(ct_split_command("   ", err, sizeof(err)) == NULL && strstr(err, "empty") != NULL,
			"an empty command is an error");
}

static void
process_output(void)
{
	CtCredentials c;
	long long	exp;
	char		err[128];
	const char *full = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"s\", "
		"\"SessionToken\": \"t\", \"Expiration\": \"2026-11-21T18:00:00Z\"}";
	const char *offset = "{\"Version\": 1, \"AccessKeyId\": \"ASIAPROC\", \"SecretAccessKey\": \"s\", "
		"\"Expiration\": \"2026-11-21T19:30:00.123+01:30\"}";
	const char *forever = "{\"Version\": 1, \"AccessKeyId\": \"AKIAPROC\", \"SecretAccessKey\": \"s\"}";

	unit_ok(ct_parse_process_credentials(full, strlen(full), &c, &exp, err, sizeof(err)) &&
			strcmp(c.access_key_id, "ASIAPROC") == 0 && strcmp(c.session_token, "t") == 0 &&
			exp == 1795284000LL, "process output with token and expiration");
	ct_credentials_free(&c);
	unit_ok(ct_parse_process_credentials(offset, strlen(offset), &c, &exp, err, sizeof(err)) &&
			c.session_token == NULL && exp == 1795284000LL, "an expiration with fractions and an offset");
	ct_credentials_free(&c);
	unit_ok(ct_parse_process_credentials(forever, strlen(forever), &c, &exp, err, sizeof(err)) &&
			exp == LLONG_MAX, "no expiration: the credentials do not expire");
	ct_credentials_free(&c);
	unit_ok(!ct_parse_process_credentials("{\"Version\": 2, \"AccessKeyId\": \"a\", \"SecretAccessKey\": \"s\"}",
										  58, &c, &exp, err, sizeof(err)) && strstr(err, "Version") != NULL,
			"Version 2 is refused");
	unit_ok(!ct_parse_process_credentials("{\"Version\": 1, \"AccessKeyId\": \"a\"}", 34, &c, &exp, err, sizeof(err)),
			"a missing secret is refused");
	unit_ok(!ct_parse_process_credentials("not json", 8, &c, &exp, err, sizeof(err)), "text that is not JSON is refused");
}

int
main(void)
{
	endpoints();
	ini();
	commands();
	process_output();
	return unit_done();
}

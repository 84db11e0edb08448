/*
 * test_s3.c
 *		Trail key names, start-after stems, endpoints, ListObjectsV2 replies
 *		and AWS error bodies.
 */
#include "ct_s3.h"
#include "unit.h"

static void
keys(void)
{
	CtTrailKey k;
	CtBuf		b = CT_BUF_INIT;
	char		label[128];

	unit_ok(ct_parse_trail_key("AWSLogs/111122223333/CloudTrail/us-east-2/2015/08/01/"
							   "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", &k) &&
			k.kind == CT_KEY_LOG, "log file key parses");
	unit_is(k.account, "111122223333", "account from the file name");
	unit_is(k.region, "us-east-2", "region from the file name");
	snprintf(label, sizeof(label), "stamp is the delivery minute (%lld)", k.stamp);
	unit_ok(k.stamp == 1438395000LL, label);
	unit_ok(ct_parse_trail_key("p/AWSLogs/o-abc/1/CloudTrail-Insight/eu-west-1/2020/01/02/"
							   "123456789012_CloudTrail-Insight_eu-west-1_20200102T0300Z_abcdefabcdefabcd.json.gz", &k) &&
			k.kind == CT_KEY_INSIGHT, "Insights key parses");
	unit_ok(ct_parse_trail_key("AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2015/08/17/"
							   "111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20150817T150131Z.json.gz", &k) &&
			k.kind == CT_KEY_DIGEST && k.stamp == 1439823691LL, "digest key parses, with seconds");
	unit_ok(ct_parse_trail_key("x/111122223333_CloudTrail-Digest_us-east-1_t_us-east-1_20150817T150131Z_backfill.json.gz", &k) &&
			k.kind == CT_KEY_DIGEST && k.stamp == 1439823691LL, "backfill digest key parses");
	unit_ok(!ct_parse_trail_key("AWSLogs/111122223333/CloudTrail/us-east-1/2015/08/01/notes.txt", &k) &&
			k.kind == CT_KEY_OTHER, "other objects are not log files");
	unit_ok(!ct_parse_trail_key("a/111_CloudTrail_us-east-1_2015X801T0210Z_x.json.gz", &k),
			"a bad stamp is not a log file");
	unit_ok(!ct_parse_trail_key("a/111_CloudTrail_us-east-1_20151301T0210Z_x.json.gz", &k),
			"month 13 is not a log file");

	ct_trail_region_prefix(&b, "pre/", "o-abc", "111122223333", false, "us-east-1");
	unit_is(b.data, "pre/AWSLogs/o-abc/111122223333/CloudTrail/us-east-1/", "organization region prefix");
	ct_buf_reset(&b);
	ct_trail_region_prefix(&b, NULL, NULL, "111122223333", true, "eu-west-1");
	unit_is(b.data, "AWSLogs/111122223333/CloudTrail-Insight/eu-west-1/", "Insights region prefix");
	ct_buf_reset(&b);
	ct_trail_start_after(&b, "AWSLogs/1/CloudTrail/us-east-1/", "111122223333", false, "us-east-1",
						 1438395045LL);
	unit_is(b.data, "AWSLogs/1/CloudTrail/us-east-1/2015/08/01/111122223333_CloudTrail_us-east-1_20150801T0210",
			"start-after stem sorts just before files of that minute");
	unit_ok(strcmp("AWSLogs/1/CloudTrail/us-east-1/2015/08/01/111122223333_CloudTrail_us-east-1_20150801T0210Z_A.json.gz",
				   b.data) > 0, "a file of the same minute sorts after the stem");
	unit_ok(strcmp("AWSLogs/1/CloudTrail/us-east-1/2015/08/01/111122223333_CloudTrail_us-east-1_20150801T0209Z_z.json.gz",
				   b.data) < 0, "a file of the minute before sorts before it");
	ct_buf_free(&b);
	unit_ok(ct_timegm(2000, 2, 29, 0, 0, 0) == 951782400LL, "timegm on a leap day");
}

/* Only keys CloudTrail could have written in the folder are fetched. */
static void
file_keys(void)
{
	const char *pre = "p/AWSLogs/111122223333/CloudTrail/us-east-2/";
	const char *name = "111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz";
	static const struct
	{
		const char *rest;		/* after the folder prefix */
		const char *what;
	}			bad[] = {
		{"2015/08/01/../../../../../../secret/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "dot segments"},
		{"2015/08/01/./111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "a dot segment"},
		{"2015/08/01/x/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "an extra folder"},
		{"2015/08/02/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "the folder of another day"},
		{"2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz%00.evil", "a %00 after the name"},
		{"2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15Z%.json.gz", "a percent sign"},
		{"2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15Z.json.gz", "a unique part of 15"},
		{"2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15Z\n.json.gz", "a line feed"},
		{"2015/08/01/999999999999_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "another account"},
		{"2015/08/01/111122223333_CloudTrail_us-east-1_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "another region"},
		{"2015/08/01/111122223333_CloudTrail-Insight_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "an Insights file"},
		{"2015/08/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json", "not gzipped"},
		{"2015/8/01/111122223333_CloudTrail_us-east-2_20150801T0210Z_Mu0KsOhtH1ar15ZZ.json.gz", "a short month folder"},
	};
	CtTrailKey	k;
	char		key[512];

	snprintf(key, sizeof(key), "%s2015/08/01/%s", pre, name);
	unit_ok(ct_trail_file_key(key, pre, "111122223333", "us-east-2", false, &k) &&
			k.stamp == 1438395000LL, "a log file of the folder is one");
	unit_ok(!ct_trail_file_key(key, "q/AWSLogs/111122223333/CloudTrail/us-east-2/", "111122223333",
							   "us-east-2", false, &k), "not outside the requested prefix");
	snprintf(key, sizeof(key), "other/%s", name);
	unit_ok(!ct_trail_file_key(key, pre, "111122223333", "us-east-2", false, &k), "nor in another folder");
	for (int i = 0; i < (int) (sizeof(bad) / sizeof(bad[0])); i++)
	{
		char		label[128];

		snprintf(key, sizeof(key), "%s%s", pre, bad[i].rest);
		snprintf(label, sizeof(label), "not with %s", bad[i].what);
		unit_ok(!ct_trail_file_key(key, pre, "111122223333", "us-east-2", false, &k), label);
	}
	snprintf(key, sizeof(key), "AWSLogs/1/CloudTrail-Insight/eu-west-1/2020/01/02/"
			 "123456789012_CloudTrail-Insight_eu-west-1_20200102T0300Z_abcdefabcdefabcd.json.gz");
	unit_ok(ct_trail_file_key(key, "AWSLogs/1/CloudTrail-Insight/eu-west-1/", "123456789012", "eu-west-1",
							  true, &k) && k.kind == CT_KEY_INSIGHT, "an Insights file of its folder is one");
}

static void
endpoints(void)
{
	CtEndpoint	ep;
	char		err[128];
	CtPrepared	p;
	CtCredentials cred = {"AKIDEXAMPLE", "secret", "tok"};

	unit_ok(ct_parse_endpoint("http://localhost:9000", &ep, err, sizeof(err)) &&
			strcmp(ep.host, "localhost") == 0 && ep.port == 9000, "endpoint with port");
	unit_ok(ct_bucket_virtual_ok(&ep, "my-bucket"), "virtual hosting on a host name");
	unit_ok(ct_s3_prepare(&p, &ep, true, "my-bucket", "AWSLogs/a b+c.json.gz", "", "us-east-1",
						  &cred, 1700000000LL, NULL), "prepare a GET");
	unit_is(p.url.data, "http://my-bucket.localhost:9000/AWSLogs/a%20b%2Bc.json.gz", "virtual-hosted URL, key encoded once");
	{
		bool		has_token = false,
					secret_leak = false;

		for (int i = 0; i < p.nheaders; i++)
		{
			has_token |= strcmp(p.headers[i], "x-amz-security-token: tok") == 0;
			secret_leak |= strstr(p.headers[i], "secret") != NULL;
		}
		unit_ok(has_token, "session token sent");
		unit_ok(!secret_leak, "the secret key is in no header");
	}
	ct_prepared_free(&p);
	ct_free_endpoint(&ep);
	unit_ok(ct_parse_endpoint("http://127.0.0.1:9000/base/", &ep, err, sizeof(err)), "IP endpoint");
	unit_ok(!ct_bucket_virtual_ok(&ep, "bucket"), "no virtual hosting on an IP address");
	ct_s3_prepare(&p, &ep, false, "bucket", NULL, "list-type=2", "us-east-1", &cred, 1700000000LL, NULL);
	unit_is(p.url.data, "http://127.0.0.1:9000/base/bucket/?list-type=2", "path-style URL keeps the base path");
	ct_prepared_free(&p);
	ct_free_endpoint(&ep);
	unit_ok(ct_parse_endpoint("https://s3.us-east-1.amazonaws.com", &ep, err, sizeof(err)) &&
			!ct_bucket_virtual_ok(&ep, "dotted.bucket.name"), "dotted bucket names use path style under TLS");
	ct_free_endpoint(&ep);
	unit_ok(!ct_parse_endpoint("ftp://x", &ep, err, sizeof(err)), "ftp endpoint rejected");
	unit_ok(!ct_parse_endpoint("http://x:99999", &ep, err, sizeof(err)), "bad port rejected");
	unit_ok(!ct_parse_endpoint("http://127.0.0.1:9000/\r\nX-Injected: 1", &ep, err, sizeof(err)),
			"an endpoint with CR LF is rejected");
}

static void
listings(void)
{
	const char *xml =
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name>"
		"<Prefix>AWSLogs%2F</Prefix><KeyCount>3</KeyCount><MaxKeys>3</MaxKeys>"
		"<EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>"
		"<NextContinuationToken>tok%2Ben&amp;</NextContinuationToken>"
		"<Contents><Key>AWSLogs/a%20b.json.gz</Key><Size>12</Size><ETag>&quot;x&quot;</ETag></Contents>"
		"<Contents><Key>AWSLogs/c&amp;d</Key><Size>5</Size></Contents>"
		"<CommonPrefixes><Prefix>AWSLogs/111111111111/</Prefix></CommonPrefixes>"
		"</ListBucketResult>";
	CtS3ListPage page;
	char		err[128];
	CtBuf		q = CT_BUF_INIT;

	unit_ok(ct_s3_parse_list(xml, strlen(xml), &page, err, sizeof(err)), "listing parses");
	unit_ok(page.nobjects == 2 && page.nprefixes == 1 && page.truncated, "two keys, one prefix, truncated");
	unit_is(page.objects[0].key, "AWSLogs/a b.json.gz", "url-encoded key decoded");
	unit_is(page.objects[1].key, "AWSLogs/c&d", "entity decoded");
	unit_ok(page.objects[0].size == 12, "size");
	unit_is(page.next_token, "tok%2Ben&", "token kept as sent (only entities decoded)");
	unit_is(page.prefixes[0], "AWSLogs/111111111111/", "common prefix");
	ct_s3_free_list(&page);
	{
		const char *odd =
			"<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated>"
			"<Contents><Key>a/x.json.gz%00.evil</Key></Contents>"
			"<Contents><Key>a/%0D%0AX-Injected:%201%7f%41</Key></Contents>"
			"<CommonPrefixes><Prefix>a/%00/</Prefix></CommonPrefixes>"
			"</ListBucketResult>";

		unit_ok(ct_s3_parse_list(odd, strlen(odd), &page, err, sizeof(err)) && page.nobjects == 2,
				"a listing with odd keys parses");
		unit_is(page.objects[0].key, "a/x.json.gz%00.evil", "%00 is not decoded (the key is not cut short)");
		unit_is(page.objects[1].key, "a/%0D%0AX-Injected: 1%7fA", "nor CR, LF or DEL; the rest is");
		unit_is(page.prefixes[0], "a/%00/", "nor in a common prefix");
		ct_s3_free_list(&page);
	}
	{
		/* a store that ignores encoding-type sends keys as they are */
		const char *plain =
			"<ListBucketResult><IsTruncated>false</IsTruncated>"
			"<Contents><Key>a/100%25 b%41.json.gz</Key></Contents>"
			"<CommonPrefixes><Prefix>a/%41/</Prefix></CommonPrefixes>"
			"</ListBucketResult>";

		unit_ok(ct_s3_parse_list(plain, strlen(plain), &page, err, sizeof(err)) && page.nobjects == 1,
				"a listing without EncodingType parses");
		unit_is(page.objects[0].key, "a/100%25 b%41.json.gz", "its keys are not percent-decoded");
		unit_is(page.prefixes[0], "a/%41/", "nor its common prefixes");
		ct_s3_free_list(&page);
	}
	unit_ok(!ct_s3_parse_list("<Error><Code>x</Code></Error>", 29, &page, err, sizeof(err)),
			"an error document is not a listing");
	ct_s3_list_query(&q, "AWSLogs/1/", NULL, "AWSLogs/1/x y", NULL, 1000);
	unit_is(q.data, "encoding-type=url&list-type=2&max-keys=1000&prefix=AWSLogs%2F1%2F&start-after=AWSLogs%2F1%2Fx%20y",
			"list query in canonical order");
	ct_buf_free(&q);
}

static void
errors(void)
{
	CtAwsError e;
	const char *s3 = "<?xml version=\"1.0\"?><Error><Code>AuthorizationHeaderMalformed</Code>"
		"<Message>the region &apos;us-east-1&apos; is wrong</Message><Region>eu-west-1</Region>"
		"<RequestId>RID1</RequestId></Error>";
	const char *sts = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code>"
		"<Message>no</Message></Error><RequestId>r2</RequestId></ErrorResponse>";
	const char *js = "{\"__type\":\"com.amazonaws.cloudtrail.v20131101#InvalidNextTokenException\",\"Message\":\"bad token\"}";
	const char *js2 = "{\"__type\":\"ThrottlingException:http://x\",\"message\":\"Rate exceeded\"}";

	ct_parse_aws_error(s3, strlen(s3), &e);
	unit_is(e.code, "AuthorizationHeaderMalformed", "S3 error code");
	unit_is(e.message, "the region 'us-east-1' is wrong", "S3 error message, entities decoded");
	unit_is(e.region, "eu-west-1", "S3 redirect region");
	unit_is(e.request_id, "RID1", "S3 request id");
	ct_parse_aws_error(sts, strlen(sts), &e);
	unit_is(e.code, "AccessDenied", "STS error code");
	ct_parse_aws_error(js, strlen(js), &e);
	unit_is(e.code, "InvalidNextTokenException", "JSON error: namespace dropped");
	unit_is(e.message, "bad token", "JSON error: Message with a capital");
	ct_parse_aws_error(js2, strlen(js2), &e);
	unit_is(e.code, "ThrottlingException", "JSON error: text after ':' dropped");
	ct_parse_aws_error("<html>502 Bad Gateway</html>", 28, &e);
	unit_is(e.code, "", "a body that is no AWS error gives no code");
	ct_parse_aws_error("{not json", 9, &e);
	unit_is(e.code, "", "broken JSON gives no code");
}

int
main(void)
{
	keys();
	file_keys();
	endpoints();
	listings();
	errors();
	return unit_done();
}

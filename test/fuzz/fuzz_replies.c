/*
 * fuzz_replies.c
 *		Fuzz target: everything the client layer parses that comes from the
 *		network or from configuration -- S3 listings and errors, STS and
 *		credential replies, LookupEvents pages, credential_process output,
 *		the shared AWS files, command lines, key names, endpoint URLs.
 *
 * The first byte chooses the parser; the rest is its input.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* memmem */
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_cloudtrail.h"
#include "ct_config.h"
#include "ct_http.h"
#include "ct_s3.h"
#include "ct_sts.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text;
	size_t		len;
	char		err[256];
	long long	exp;

	if (size < 1)
		return 0;
	len = size - 1;
	text = malloc(len + 1);		/* a NUL-terminated copy: what callers pass */
	memcpy(text, data + 1, len);
	text[len] = '\0';

	switch (data[0] % 10)
	{
		case 0:
			{
				CtS3ListPage page;

				if (ct_s3_parse_list(text, len, &page, err, sizeof(err)))
				{
					/* percent-decoding never makes a control character */
					bool		plain = strlen(text) == len && ct_http_safe_value(text) &&
						!memmem(text, len, "&#", 2);

					for (int i = 0; plain && i < page.nobjects; i++)
						if (!ct_http_safe_value(page.objects[i].key))
							abort();
					ct_s3_free_list(&page);
				}
				break;
			}
		case 1:
			{
				CtAwsError e;

				ct_parse_aws_error(text, len, &e);
				break;
			}
		case 2:
			{
				CtCredentials c;

				if (ct_sts_parse(text, len, &c, &exp, err, sizeof(err)))
					ct_credentials_free(&c);
				break;
			}
		case 3:
			{
				CtLookupPage page;

				if (ct_lookup_parse(text, len, &page, err, sizeof(err)))
					ct_lookup_free(&page);
				break;
			}
		case 4:
			{
				CtCredentials c;

				if (ct_parse_process_credentials(text, len, &c, &exp, err, sizeof(err)))
					ct_credentials_free(&c);
				break;
			}
		case 5:
			{
				CtCredentials c;

				if (ct_parse_json_credentials(text, len, &c, &exp, err, sizeof(err)))
					ct_credentials_free(&c);
				break;
			}
		case 6:
			free(ct_ini_get(text, len, "profile auditor", "role_arn"));
			free(ct_ini_get(text, len, "default", "aws_access_key_id"));
			(void) ct_ini_has_section(text, len, "default");
			break;
		case 7:
			ct_free_argv(ct_split_command(text, err, sizeof(err)));
			break;
		case 8:
			{
				CtTrailKey k;
				const char *pre = "AWSLogs/111122223333/CloudTrail/us-east-1/";

				(void) ct_parse_trail_key(text, &k);
				/* a key that is fetched names a file of the folder and nothing else */
				if (ct_trail_file_key(text, pre, "111122223333", "us-east-1", false, &k) &&
					(strncmp(text, pre, strlen(pre)) != 0 || strchr(text, '%') ||
					 strstr(text, "/./") || strstr(text, "/../") || !ct_http_safe_value(text) ||
					 strlen(text) != strlen(pre) + 11 + 73))
					abort();
				break;
			}
		case 9:
			{
				CtEndpoint	ep;

				if (ct_parse_endpoint(text, &ep, err, sizeof(err)))
				{
					(void) ct_bucket_virtual_ok(&ep, "my.dotted.bucket");
					ct_free_endpoint(&ep);
				}
				break;
			}
	}
	free(text);
	return 0;
}

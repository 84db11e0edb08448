/*
 * fuzz_replies.c
 *		Fuzz target: everything the client layer parses that comes from the
 *		network or from configuration -- S3 listings and errors, STS and
 *		credential replies, LookupEvents pages, credential_process output,
 *		the shared AWS files, command lines, key names, endpoint URLs.
 *
 * The first byte chooses the parser; the rest is its input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ct_cloudtrail.h"
#include "ct_config.h"
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
					ct_s3_free_list(&page);
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

				(void) ct_parse_trail_key(text, &k);
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

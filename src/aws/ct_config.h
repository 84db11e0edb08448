/*-------------------------------------------------------------------------
 *
 * ct_config.h
 *		What the AWS SDKs read from configuration: the partitions' endpoint
 *		hosts, the shared config and credentials files, credential_process
 *		command lines.
 *
 * Copyright (c) 2026, the cloudtrail_fdw authors
 *
 * IDENTIFICATION
 *		src/aws/ct_config.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef CT_CONFIG_H
#define CT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum CtService
{
	CT_SERVICE_S3,
	CT_SERVICE_CLOUDTRAIL,
	CT_SERVICE_STS
} CtService;

/* "aws", "aws-cn" or "aws-us-gov", from the region's name */
extern const char *ct_partition(const char *region);

/* "https://host" of a service in a region; malloc'd, NULL when out of memory */
extern char *ct_service_url(CtService service, const char *region, bool fips, bool dualstack);

/*
 * The value of key in [section] of an INI text as the AWS shared files
 * write it (malloc'd, NULL if absent).  Sections and keys compare with runs
 * of blanks taken as one; the last assignment wins.
 */
extern char *ct_ini_get(const char *text, size_t len, const char *section, const char *key);

/* Does the text have that section? */
extern bool ct_ini_has_section(const char *text, size_t len, const char *section);

/*
 * Split a command line as a POSIX shell would split words (quotes and
 * backslashes; no expansion).  Returns a NULL-terminated malloc'd vector
 * (free with ct_free_argv), or NULL with the reason in err.
 */
extern char **ct_split_command(const char *cmd, char *err, size_t errlen);
extern void ct_free_argv(char **argv);

#endif							/* CT_CONFIG_H */

/*
 * replay.c
 *		Runs a fuzz target on files, without libFuzzer: how test/run replays
 *		the seeds (and any crash a fuzzing run saved) on every build.
 *
 *		replay [-p BYTE] FILE...
 *
 * -p prepends BYTE to each file's contents (the targets' selector byte).
 * Prints a TAP line per file; a crash or a sanitizer report fails the run.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
main(int argc, char **argv)
{
	int			n = 0;
	int			prefix = -1;

	for (int i = 1; i < argc; i++)
	{
		FILE	   *f;
		uint8_t    *buf;
		long		len;
		size_t		off;

		if (strcmp(argv[i], "-p") == 0 && i + 1 < argc)
		{
			prefix = atoi(argv[++i]);
			continue;
		}
		f = fopen(argv[i], "rb");
		if (!f)
		{
			printf("not ok %d - %s: cannot open\n", ++n, argv[i]);
			continue;
		}
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		fseek(f, 0, SEEK_SET);
		off = prefix >= 0 ? 1 : 0;
		buf = malloc(len + off + 1);
		if (prefix >= 0)
			buf[0] = (uint8_t) prefix;
		if (fread(buf + off, 1, len, f) != (size_t) len)
			len = 0;
		fclose(f);
		LLVMFuzzerTestOneInput(buf, len + off);
		free(buf);
		printf("ok %d - %s%s\n", ++n, prefix >= 0 ? "selector + " : "", argv[i]);
	}
	printf("1..%d\n", n);
	return 0;
}

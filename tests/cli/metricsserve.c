// SPDX-License-Identifier: GPL-2.0
/*
 * metricsserve.c - the server of `lockaudit run --metrics` (metrics_http.c)
 * on its own, for tests/cli/cases/metrics.sh: `run` cannot start without
 * BPF on the host, this serves texts the test chooses through the same
 * code.
 *
 *   metricsserve ADDR:PORT
 *
 * Prints "port N" once listening, then reads commands from stdin:
 *   publish FILE   serve FILE's bytes from now on (metrics_http__publish)
 *   quit           stop the server and exit 0 (so does the end of stdin)
 * and answers each with "ok" (or "error: ..." and exit 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n;

	*len = 0;
	if (!f)
		return NULL;
	do {
		if (*len + 4096 > cap) {
			char *nb = realloc(buf, cap = *len + 65536);

			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0);
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct la_metrics_http *s;
	char err[256], line[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: metricsserve ADDR:PORT\n");
		return 2;
	}
	s = metrics_http__start(argv[1], err, sizeof(err));
	if (!s) {
		fprintf(stderr, "metricsserve: %s\n", err);
		return 1;
	}
	printf("port %u\n", metrics_http__port(s));
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\n")] = 0;
		if (!strcmp(line, "quit"))
			break;
		if (!strncmp(line, "publish ", 8)) {
			size_t len;
			char *text = slurp(line + 8, &len);

			if (!text) {
				printf("error: cannot read %s\n", line + 8);
				metrics_http__stop(s);
				return 1;
			}
			metrics_http__publish(s, text, len);
			printf("ok\n");
		} else {
			printf("error: unknown command '%s'\n", line);
			metrics_http__stop(s);
			return 1;
		}
		fflush(stdout);
	}
	metrics_http__stop(s);
	return 0;
}

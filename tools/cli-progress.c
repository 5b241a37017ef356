/* SPDX-License-Identifier: MIT */
/* One progress line on stderr, rewritten in place, when stderr is a terminal. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int cli_progress_init(struct cli_progress *cp, int quiet)
{
	cp->shown = 0;
	clock_gettime(CLOCK_MONOTONIC, &cp->start);
	return !quiet && isatty(STDERR_FILENO);
}

void cli_progress_show(void *ctx, const struct bs_progress *p)
{
	struct cli_progress *cp = ctx;
	double t = seconds_since(&cp->start), mib = (double)p->bytes_done / (1 << 20);
	double rate = t > 0 ? mib / t : 0, files = t > 0 ? (double)p->files_done / t : 0;

	fprintf(stderr, "\r%s: %zu", p->phase ? p->phase : "", p->files_done);
	if (p->files_total)
		fprintf(stderr, "/%zu", p->files_total);
	fprintf(stderr, " files, %.0f", mib);
	if (p->bytes_total)
		fprintf(stderr, "/%.0f", (double)p->bytes_total / (1 << 20));
	fprintf(stderr, " MiB, %.1f MiB/s, %.0f files/s", rate, files);
	if (p->bytes_total && p->bytes_done && p->bytes_done < p->bytes_total && rate > 0) {
		long eta = (long)(((double)(p->bytes_total - p->bytes_done) / (1 << 20)) / rate + 0.5);

		fprintf(stderr, ", ETA %ld:%02ld", eta / 60, eta % 60);
	}
	fputs("\033[K", stderr);
	cp->shown = 1;
}

void cli_progress_end(struct cli_progress *cp)
{
	if (cp->shown)
		fputs("\r\033[K", stderr);
	cp->shown = 0;
}

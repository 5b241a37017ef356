/* SPDX-License-Identifier: MIT */
/* One progress line on stderr, rewritten in place, when stderr is a terminal. */
#include <stdio.h>
#include <string.h>
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
	cp->phase[0] = 0;
	cp->files = 0;
	cp->bytes = 0;
	clock_gettime(CLOCK_MONOTONIC, &cp->start);
	return !quiet && isatty(STDERR_FILENO);
}

/*
 * The ETA counts files as well as bytes: hashing 60k small files takes long
 * for few bytes, one big file the other way round. The part done is the
 * mean of the parts of files and of bytes done (those with a known total),
 * and the rest is assumed to go at the pace so far.
 */
static long eta_seconds(const struct bs_progress *p, double t)
{
	double part = 0;
	int known = 0;

	if (p->files_total) {
		part += (double)p->files_done / (double)p->files_total;
		known++;
	}
	if (p->bytes_total) {
		part += (double)p->bytes_done / (double)p->bytes_total;
		known++;
	}
	if (!known || t < 1)
		return -1;
	part /= known;
	if (part <= 0.001 || part >= 1)
		return -1;
	return (long)(t * (1 - part) / part + 0.5);
}

void cli_progress_show(void *ctx, const struct bs_progress *p)
{
	struct cli_progress *cp = ctx;
	const char *phase = p->phase ? p->phase : "";
	double t, mib = (double)p->bytes_done / (1 << 20), rate, files;
	long eta;

	/* Counters that start again start a phase ("reading layer 2/4" goes on
	 * counting where layer 1 ended; "writing layer 2/2" starts at 0). */
	if (p->files_done < cp->files || p->bytes_done < cp->bytes ||
	    (strcmp(cp->phase, phase) != 0 && !p->files_done && !p->bytes_done))
		clock_gettime(CLOCK_MONOTONIC, &cp->start);
	snprintf(cp->phase, sizeof(cp->phase), "%s", phase);
	cp->files = p->files_done;
	cp->bytes = p->bytes_done;
	/* Not less than 0.1 s: the first call of a phase would claim any rate. */
	t = seconds_since(&cp->start);
	rate = mib / (t > 0.1 ? t : 0.1);
	files = (double)p->files_done / (t > 0.1 ? t : 0.1);
	fprintf(stderr, "\r%s", phase);
	/* A phase without counters (signing) is only named. */
	if (!p->files_done && !p->files_total && !p->bytes_done && !p->bytes_total) {
		fputs("...\033[K", stderr);
		cp->shown = 1;
		return;
	}
	fprintf(stderr, ": %zu", p->files_done);
	if (p->files_total)
		fprintf(stderr, "/%zu", p->files_total);
	fprintf(stderr, " files, %.0f", mib);
	if (p->bytes_total)
		fprintf(stderr, "/%.0f", (double)p->bytes_total / (1 << 20));
	fprintf(stderr, " MiB, %.1f MiB/s, %.0f files/s", rate, files);
	if (!p->done && (eta = eta_seconds(p, t)) >= 0)
		fprintf(stderr, ", ETA %ld:%02ld", eta / 60, eta % 60);
	fputs("\033[K", stderr);
	cp->shown = 1;
}

void cli_progress_end(struct cli_progress *cp)
{
	if (cp->shown)
		fputs("\r\033[K", stderr);
	cp->shown = 0;
}

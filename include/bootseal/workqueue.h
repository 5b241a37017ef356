/* SPDX-License-Identifier: MIT */
#ifndef BOOTSEAL_WORKQUEUE_H
#define BOOTSEAL_WORKQUEUE_H

#include <bootseal/export.h>

#include <stddef.h>

/*
 * The one place bootseal uses threads. Items are numbered 0..n-1; each worker
 * takes the next free number, so callers store results by index and get them
 * back in a stable order whatever the scheduling.
 *
 * fn returns 0 or a negative errno. Once an item fails no new items start;
 * the return value is the error of the lowest-numbered failed item, which
 * makes the reported error independent of thread timing.
 */
typedef int (*bs_work_fn)(void *ctx, size_t worker, size_t item);

/* Online CPUs, at least 1. */
BS_EXPORT size_t bs_workqueue_default_jobs(void);

/* Runs fn over every item on `jobs` threads (0 means the default). Sets
 * *failed_item to the item whose error is returned, when not NULL. */
BS_EXPORT int bs_workqueue_run(size_t n_items, size_t jobs, bs_work_fn fn, void *ctx, size_t *failed_item);

/*
 * The same in the background: `jobs` threads work while the caller does
 * something else (fills the next batch), then bs_workqueue_wait joins them,
 * frees the job and returns what bs_workqueue_run would have. Every started
 * job must be waited for. Should no thread start, the items run in
 * bs_workqueue_wait on the calling thread.
 */
struct bs_workqueue_job;
BS_EXPORT int bs_workqueue_start(size_t n_items, size_t jobs, bs_work_fn fn, void *ctx, struct bs_workqueue_job **job);
BS_EXPORT int bs_workqueue_wait(struct bs_workqueue_job *job, size_t *failed_item);

#endif

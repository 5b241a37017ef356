/* SPDX-License-Identifier: MIT */
#include <bootseal/workqueue.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct run {
	bs_work_fn fn;
	void *ctx;
	size_t n_items;
	atomic_size_t next;
	atomic_bool stop;
	pthread_mutex_t lock;
	int error;
	size_t error_item;
};

struct worker {
	struct run *run;
	size_t id;
	pthread_t thread;
};

size_t bs_workqueue_default_jobs(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? (size_t)n : 1;
}

static void record_error(struct run *run, size_t item, int r)
{
	pthread_mutex_lock(&run->lock);
	if (!run->error || item < run->error_item) {
		run->error = r;
		run->error_item = item;
	}
	pthread_mutex_unlock(&run->lock);
	atomic_store(&run->stop, 1);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *run = w->run;

	while (!atomic_load(&run->stop)) {
		size_t item = atomic_fetch_add(&run->next, 1);
		int r;

		if (item >= run->n_items)
			break;
		r = run->fn(run->ctx, w->id, item);
		if (r < 0)
			record_error(run, item, r);
	}
	return NULL;
}

int bs_workqueue_run(size_t n_items, size_t jobs, bs_work_fn fn, void *ctx, size_t *failed_item)
{
	struct run run = { .fn = fn, .ctx = ctx, .n_items = n_items };
	struct worker *workers;
	sigset_t all, old;
	size_t started = 0;

	if (!jobs)
		jobs = bs_workqueue_default_jobs();
	if (jobs > n_items)
		jobs = n_items ? n_items : 1;
	atomic_init(&run.next, 0);
	atomic_init(&run.stop, 0);
	pthread_mutex_init(&run.lock, NULL);

	workers = calloc(jobs, sizeof(*workers));
	if (!workers)
		return -ENOMEM;
	/* The calling thread is worker 0, so jobs == 1 spawns nothing. The
	 * others start with every signal blocked: a handler then runs on the
	 * calling thread, the one that creates and removes temporary files
	 * (bs_atomicfile_remove_temporaries), never beside it. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = 1; i < jobs; i++) {
		workers[i].run = &run;
		workers[i].id = i;
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i]) != 0)
			break;
		started = i;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	workers[0].run = &run;
	worker_main(&workers[0]);
	for (size_t i = 1; i <= started; i++)
		pthread_join(workers[i].thread, NULL);
	free(workers);
	pthread_mutex_destroy(&run.lock);
	if (run.error && failed_item)
		*failed_item = run.error_item;
	return run.error;
}

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

struct bs_workqueue_job {
	struct run run;
	size_t jobs, first, started;    /* workers first..started-1 are threads */
	int caller_works;               /* worker 0 is the calling thread */
	struct worker workers[];
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

/*
 * Spawns workers first..jobs-1 with every signal blocked: a handler then runs
 * on the calling thread, the one that creates and removes temporary files
 * (bs_atomicfile_remove_temporaries), never beside it. Returns how many
 * started.
 */
static size_t spawn(struct bs_workqueue_job *job, size_t first)
{
	sigset_t all, old;
	size_t started = first;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (size_t i = first; i < job->jobs; i++) {
		job->workers[i].run = &job->run;
		job->workers[i].id = i;
		if (pthread_create(&job->workers[i].thread, NULL, worker_main, &job->workers[i]) != 0)
			break;
		started = i + 1;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return started;
}

static struct bs_workqueue_job *job_new(size_t n_items, size_t jobs, bs_work_fn fn, void *ctx)
{
	struct bs_workqueue_job *job;

	if (!jobs)
		jobs = bs_workqueue_default_jobs();
	if (jobs > n_items)
		jobs = n_items ? n_items : 1;
	job = calloc(1, sizeof(*job) + jobs * sizeof(job->workers[0]));
	if (!job)
		return NULL;
	job->jobs = jobs;
	job->run.fn = fn;
	job->run.ctx = ctx;
	job->run.n_items = n_items;
	atomic_init(&job->run.next, 0);
	atomic_init(&job->run.stop, 0);
	pthread_mutex_init(&job->run.lock, NULL);
	return job;
}

int bs_workqueue_wait(struct bs_workqueue_job *job, size_t *failed_item)
{
	if (!job)
		return -EINVAL;
	int r;

	for (size_t i = job->first; i < job->started; i++)
		pthread_join(job->workers[i].thread, NULL);
	/* Not one thread could start: the items are done here, late but done. */
	if (!job->caller_works && job->started == 0) {
		job->workers[0].run = &job->run;
		worker_main(&job->workers[0]);
	}
	pthread_mutex_destroy(&job->run.lock);
	r = job->run.error;
	if (r && failed_item)
		*failed_item = job->run.error_item;
	free(job);
	return r;
}

int bs_workqueue_start(size_t n_items, size_t jobs, bs_work_fn fn, void *ctx, struct bs_workqueue_job **out)
{
	if (!out || (!fn && n_items))
		return -EINVAL;
	struct bs_workqueue_job *job = job_new(n_items, jobs, fn, ctx);

	if (!job)
		return -ENOMEM;
	job->first = 0;
	job->started = spawn(job, 0);
	*out = job;
	return 0;
}

int bs_workqueue_run(size_t n_items, size_t jobs, bs_work_fn fn, void *ctx, size_t *failed_item)
{
	struct bs_workqueue_job *job = job_new(n_items, jobs, fn, ctx);

	if (!job)
		return -ENOMEM;
	/* The calling thread is worker 0, so jobs == 1 spawns nothing. */
	job->caller_works = 1;
	job->first = 1;
	job->started = spawn(job, 1);
	job->workers[0].run = &job->run;
	worker_main(&job->workers[0]);
	return bs_workqueue_wait(job, failed_item);
}

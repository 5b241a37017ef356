/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "unit.h"

#include <bootseal/workqueue.h>

struct square_ctx {
	size_t out[1000];
	size_t fail_from;
};

static int square(void *arg, size_t worker, size_t item)
{
	struct square_ctx *ctx = arg;

	(void)worker;
	if (item >= ctx->fail_from)
		return -(int)(EINVAL + (item % 2));
	ctx->out[item] = item * item;
	return 0;
}

static void results_by_index(void **state)
{
	struct square_ctx ctx = { .fail_from = SIZE_MAX };

	(void)state;
	assert_int_equal(bs_workqueue_run(1000, 4, square, &ctx, NULL), 0);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(ctx.out[i], i * i);
}

static void lowest_failure_wins(void **state)
{
	struct square_ctx ctx = { .fail_from = 500 };
	size_t failed = 0;

	(void)state;
	/* Item 500 fails with -EINVAL, 501 with -EINVAL-1: always 500's error. */
	for (int round = 0; round < 20; round++) {
		assert_int_equal(bs_workqueue_run(1000, 3, square, &ctx, &failed), -EINVAL);
		assert_int_equal(failed, 500);
	}
}

static void zero_items(void **state)
{
	struct square_ctx ctx = { .fail_from = 0 };

	(void)state;
	assert_int_equal(bs_workqueue_run(0, 2, square, &ctx, NULL), 0);
}

/* In the background: the caller goes on, then collects the same results. */
static void started_then_waited(void **state)
{
	struct square_ctx ctx = { .fail_from = SIZE_MAX }, bad = { .fail_from = 10 };
	struct bs_workqueue_job *job;
	size_t failed = 0;

	(void)state;
	assert_int_equal(bs_workqueue_start(1000, 2, square, &ctx, &job), 0);
	assert_int_equal(bs_workqueue_wait(job, NULL), 0);
	for (size_t i = 0; i < 1000; i++)
		assert_int_equal(ctx.out[i], i * i);
	assert_int_equal(bs_workqueue_start(100, 1, square, &bad, &job), 0);
	assert_int_equal(bs_workqueue_wait(job, &failed), -EINVAL);
	assert_int_equal(failed, 10);
	assert_int_equal(bs_workqueue_start(0, 3, square, &ctx, &job), 0);
	assert_int_equal(bs_workqueue_wait(job, NULL), 0);
}

UNIT_TESTS(NULL, NULL,
	cmocka_unit_test(results_by_index),
	cmocka_unit_test(lowest_failure_wins),
	cmocka_unit_test(zero_items),
	cmocka_unit_test(started_then_waited))

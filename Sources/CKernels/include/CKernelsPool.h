#ifndef CKERNELS_POOL_H
#define CKERNELS_POOL_H

/* An item of a parallel job: fn(ctx, i) for i in [0, count). */
typedef void (*c2_task_fn)(void *ctx, long i);

/*
 * Runs fn(ctx, i) for every i in [0, count) on the calling thread and the pool's
 * workers, and returns 1 when all are done. Returns 0 without running anything
 * when the pool is already running a job (a nested call, or another thread's),
 * when count does not fit 31 bits, or on a single-core machine: the caller then
 * runs the items itself. Items run in no particular order.
 */
int c2_pool_run(long count, c2_task_fn fn, void *ctx);

/* The pool's worker threads (starting them if needed): cores − 1. */
int c2_pool_workers(void);

#endif

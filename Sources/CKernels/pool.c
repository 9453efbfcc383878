/*
 * The worker pool behind Parallel.forEach: (cores − 1) threads that spin for a
 * while after each job before parking, so that back-to-back parallel regions
 * (the operators of a net, one after another) start without waking a sleeping
 * thread, which on a virtual machine means waking a halted virtual CPU.
 *
 * One job at a time: `state` holds the job's generation (high 32 bits) and the
 * number of items not yet claimed (low 32 bits). Threads claim item
 * `remaining − 1` with a compare-and-swap on the whole word, so a thread that
 * looked at an old job can never claim an item of a newer one; the job's
 * function and context stay valid while any claimed item is unfinished.
 */
#include "CKernelsPool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/* How long a worker spins without work before it parks. */
#define SPIN_NS 200000LL
#define MAX_WORKERS 63

static struct {
    pthread_once_t once;
    int workers;
    _Atomic uint64_t state;
    _Atomic(c2_task_fn) fn;
    _Atomic(void *) ctx;
    _Atomic long done;
    _Atomic int busy;
    _Atomic int sleepers;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
} pool = {PTHREAD_ONCE_INIT, 0, 0, NULL, NULL, 0, 0, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static inline void relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long long now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

/* Claims and runs one item of the current job; 0 when none is left to claim. */
static int run_one(void) {
    uint64_t s = atomic_load_explicit(&pool.state, memory_order_acquire);
    while ((s & 0xFFFFFFFFu) != 0) {
        if (atomic_compare_exchange_weak_explicit(&pool.state, &s, s - 1, memory_order_acq_rel,
                                                  memory_order_acquire)) {
            const long item = (long)(s & 0xFFFFFFFFu) - 1;
            const c2_task_fn fn = atomic_load_explicit(&pool.fn, memory_order_acquire);
            void *ctx = atomic_load_explicit(&pool.ctx, memory_order_acquire);
            fn(ctx, item);
            atomic_fetch_add_explicit(&pool.done, 1, memory_order_release);
            return 1;
        }
    }
    return 0;
}

static void *worker(void *arg) {
    (void)arg;
    for (;;) {
        long long idle_since = now_ns();
        for (unsigned spins = 1;; spins++) {
            if (run_one()) {
                idle_since = now_ns();
                continue;
            }
            relax();
            if ((spins & 255) == 0 && now_ns() - idle_since > SPIN_NS) break;
        }
        pthread_mutex_lock(&pool.mutex);
        atomic_fetch_add(&pool.sleepers, 1);
        while ((atomic_load(&pool.state) & 0xFFFFFFFFu) == 0) pthread_cond_wait(&pool.wake, &pool.mutex);
        atomic_fetch_sub(&pool.sleepers, 1);
        pthread_mutex_unlock(&pool.mutex);
    }
    return NULL;
}

static void start_workers(void) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int want = cores > 1 ? (int)(cores - 1) : 0;
    if (want > MAX_WORKERS) want = MAX_WORKERS;
    for (int i = 0; i < want; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker, NULL) == 0) pool.workers++;
        pthread_attr_destroy(&attr);
    }
}

int c2_pool_run(long count, c2_task_fn fn, void *ctx) {
    if (count <= 0) return 1;
    if (count > 0x7FFFFFFF) return 0;
    pthread_once(&pool.once, start_workers);
    if (pool.workers == 0) return 0;
    int expected = 0;
    if (!atomic_compare_exchange_strong(&pool.busy, &expected, 1)) return 0;
    atomic_store_explicit(&pool.fn, fn, memory_order_relaxed);
    atomic_store_explicit(&pool.ctx, ctx, memory_order_relaxed);
    atomic_store_explicit(&pool.done, 0, memory_order_relaxed);
    const uint64_t generation = (atomic_load(&pool.state) >> 32) + 1;
    atomic_store(&pool.state, (generation << 32) | (uint64_t)count);
    if (atomic_load(&pool.sleepers) > 0) {
        pthread_mutex_lock(&pool.mutex);
        pthread_cond_broadcast(&pool.wake);
        pthread_mutex_unlock(&pool.mutex);
    }
    while (run_one()) {
    }
    while (atomic_load_explicit(&pool.done, memory_order_acquire) < count) relax();
    atomic_store_explicit(&pool.busy, 0, memory_order_release);
    return 1;
}

int c2_pool_workers(void) {
    pthread_once(&pool.once, start_workers);
    return pool.workers;
}

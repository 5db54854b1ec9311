#include "core/threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define CG_MAX_THREADS 64

/* A worker waiting for the next job, and the caller waiting for the workers,
 * spin this many times (some tens of microseconds) before they sleep on a
 * condition variable: waking a sleeping thread costs about as much again, and
 * a training step calls the pool thousands of times. */
#define SPIN_LIMIT (1 << 14)

static inline void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

typedef struct pool_job {
    void (*fn)(void *ctx, int task, int worker);
    void *ctx;
    int n_tasks;
    atomic_int next_task;
    atomic_int remaining_workers;
} pool_job;

static struct {
    pthread_once_t once;
    pthread_mutex_t call_lock; /* one parallel_for at a time */
    pthread_mutex_t lock;
    pthread_cond_t wake, done;
    atomic_uint generation;    /* bumped (under lock) for each job */
    pool_job job;
    int n_threads;
} pool = {.once = PTHREAD_ONCE_INIT,
          .call_lock = PTHREAD_MUTEX_INITIALIZER,
          .lock = PTHREAD_MUTEX_INITIALIZER,
          .wake = PTHREAD_COND_INITIALIZER,
          .done = PTHREAD_COND_INITIALIZER};

static _Thread_local int inside_pool;
static _Thread_local int current_worker;

static void run_tasks(pool_job *job, int worker)
{
    inside_pool = 1;
    current_worker = worker;
    for (;;) {
        int task = atomic_fetch_add(&job->next_task, 1);
        if (task >= job->n_tasks)
            break;
        job->fn(job->ctx, task, worker);
    }
    inside_pool = 0;
}

static void *worker_main(void *arg)
{
    int worker = (int)(intptr_t)arg;
    unsigned seen = 0;
    for (;;) {
        for (int i = 0; i < SPIN_LIMIT && atomic_load(&pool.generation) == seen; i++)
            spin_pause();
        pthread_mutex_lock(&pool.lock);
        while (atomic_load(&pool.generation) == seen)
            pthread_cond_wait(&pool.wake, &pool.lock);
        seen = atomic_load(&pool.generation);
        pthread_mutex_unlock(&pool.lock);

        run_tasks(&pool.job, worker);

        pthread_mutex_lock(&pool.lock);
        if (atomic_fetch_sub(&pool.job.remaining_workers, 1) == 1)
            pthread_cond_signal(&pool.done);
        pthread_mutex_unlock(&pool.lock);
    }
    return NULL;
}

static void start_pool(void)
{
    int n = 0;
    const char *env = getenv("CG_NUM_THREADS");
    if (env)
        n = atoi(env);
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > CG_MAX_THREADS)
        n = CG_MAX_THREADS;
    pool.n_threads = 1;
    /* The caller is worker 0; the others wait for jobs for the life of the process. */
    for (int i = 1; i < n; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, worker_main, (void *)(intptr_t)i) == 0)
            pool.n_threads++;
        pthread_attr_destroy(&attr);
    }
}

void cg_threads_start(void)
{
    pthread_once(&pool.once, start_pool);
}

int cg_thread_count(void)
{
    cg_threads_start();
    return pool.n_threads;
}

void cg_parallel_for(int n_tasks, void (*fn)(void *ctx, int task, int worker), void *ctx)
{
    cg_threads_start();
    if (n_tasks <= 0)
        return;
    if (inside_pool || pool.n_threads == 1 || n_tasks == 1) {
        for (int t = 0; t < n_tasks; t++)
            fn(ctx, t, inside_pool ? current_worker : 0);
        return;
    }
    pthread_mutex_lock(&pool.call_lock);
    pthread_mutex_lock(&pool.lock);
    pool.job.fn = fn;
    pool.job.ctx = ctx;
    pool.job.n_tasks = n_tasks;
    atomic_store(&pool.job.next_task, 0);
    atomic_store(&pool.job.remaining_workers, pool.n_threads - 1);
    atomic_fetch_add(&pool.generation, 1);
    pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);

    run_tasks(&pool.job, 0);

    for (int i = 0; i < SPIN_LIMIT && atomic_load(&pool.job.remaining_workers) > 0; i++)
        spin_pause();
    pthread_mutex_lock(&pool.lock);
    while (atomic_load(&pool.job.remaining_workers) > 0)
        pthread_cond_wait(&pool.done, &pool.lock);
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.call_lock);
}

typedef struct range_job {
    int64_t n, chunk;
    void (*fn)(void *ctx, int64_t begin, int64_t end);
    void *ctx;
} range_job;

static void range_task(void *ctx, int task, int worker)
{
    const range_job *j = ctx;
    int64_t begin = (int64_t)task * j->chunk;
    int64_t end = begin + j->chunk < j->n ? begin + j->chunk : j->n;
    j->fn(j->ctx, begin, end);
}

void cg_parallel_range(int64_t n, int64_t min_chunk, void (*fn)(void *ctx, int64_t begin, int64_t end),
                       void *ctx)
{
    if (n <= 0)
        return;
    int64_t tasks = (int64_t)cg_thread_count() * 4;
    int64_t chunk = (n + tasks - 1) / tasks;
    if (chunk < min_chunk)
        chunk = min_chunk;
    range_job j = {n, chunk, fn, ctx};
    cg_parallel_for((int)((n + chunk - 1) / chunk), range_task, &j);
}

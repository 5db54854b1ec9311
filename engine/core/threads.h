/* Internal: the engine's worker pool. One owner for the cores: OpenBLAS is
 * single-threaded and each worker calls it on its own block of work. */
#ifndef CG_CORE_THREADS_H
#define CG_CORE_THREADS_H

#include <stdint.h>

/* fn(ctx, task, worker) for task in [0, n_tasks), spread over the pool; returns
 * when all are done. worker is in [0, cg_thread_count()) and names per-worker
 * scratch. Tasks are handed out in order as workers free up, so a task must not
 * depend on which worker runs it: reductions keep one partial per task and sum
 * them in task order, which keeps results identical from run to run. Nested
 * calls (from inside a task) run serially. Calls from several threads at once
 * take turns. */
void cg_parallel_for(int n_tasks, void (*fn)(void *ctx, int task, int worker), void *ctx);

/* fn(ctx, begin, end) over [0, n) cut into chunks of at least min_chunk
 * (for element-wise loops: each chunk writes only its own range). */
void cg_parallel_range(int64_t n, int64_t min_chunk, void (*fn)(void *ctx, int64_t begin, int64_t end),
                       void *ctx);

/* Workers in the pool (>= 1): CG_NUM_THREADS if set, else the online cores. */
int cg_thread_count(void);

/* Starts the pool (idempotent; called by cg_engine_init). */
void cg_threads_start(void);

#endif

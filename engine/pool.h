/* pool.h - a small fixed thread pool: run n independent tasks and wait for all of them. The
 * calling thread works too, so a pool of 1 is plain sequential execution. */
#ifndef LATHE_POOL_H
#define LATHE_POOL_H

typedef struct lathe_pool lathe_pool;

int lathe_pool_new(int threads, lathe_pool **out);
/* Runs fn(ud, 0..n_tasks-1) across the pool; returns when every task is done. [main] */
void lathe_pool_run(lathe_pool *p, int n_tasks, void (*fn)(void *ud, int task), void *ud);
void lathe_pool_free(lathe_pool *p);

#endif

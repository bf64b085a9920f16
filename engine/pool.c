#include "pool.h"

#include "lathe/lathe_node.h"

#include <pthread.h>

struct lathe_pool {
    pthread_t *threads;
    int n_threads;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    void (*fn)(void *, int);
    void *ud;
    int n_tasks, next, finished;
    unsigned generation;
    int quit;
};

/* Takes the next task index, or -1 when none is left. Called with mu held. */
static int take(lathe_pool *p)
{
    return p->next < p->n_tasks ? p->next++ : -1;
}

static void work_until_empty(lathe_pool *p)
{
    for (;;) {
        int t = take(p);
        if (t < 0)
            return;
        pthread_mutex_unlock(&p->mu);
        p->fn(p->ud, t);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->n_tasks)
            pthread_cond_signal(&p->done);
    }
}

static void *worker(void *arg)
{
    lathe_pool *p = arg;
    unsigned seen = 0;
    pthread_mutex_lock(&p->mu);
    while (!p->quit) {
        while (!p->quit && p->generation == seen)
            pthread_cond_wait(&p->work, &p->mu);
        seen = p->generation;
        work_until_empty(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int lathe_pool_new(int threads, lathe_pool **out)
{
    lathe_pool *p = lathe_calloc(1, sizeof *p);
    if (!p)
        return LATHE_ERR_NOMEM;
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    int extra = threads > 1 ? threads - 1 : 0;
    p->threads = lathe_calloc((size_t)(extra ? extra : 1), sizeof *p->threads);
    if (!p->threads) {
        lathe_pool_free(p);
        return LATHE_ERR_NOMEM;
    }
    for (int i = 0; i < extra; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break; /* fewer helpers is still correct, only slower */
        p->n_threads++;
    }
    *out = p;
    return LATHE_OK;
}

void lathe_pool_run(lathe_pool *p, int n_tasks, void (*fn)(void *ud, int task), void *ud)
{
    if (n_tasks <= 1 || p->n_threads == 0) {
        for (int t = 0; t < n_tasks; t++)
            fn(ud, t);
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ud = ud;
    p->n_tasks = n_tasks;
    p->next = p->finished = 0;
    p->generation++;
    pthread_cond_broadcast(&p->work);
    work_until_empty(p);
    while (p->finished < p->n_tasks)
        pthread_cond_wait(&p->done, &p->mu);
    p->n_tasks = 0;
    pthread_mutex_unlock(&p->mu);
}

void lathe_pool_free(lathe_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->mu);
    p->quit = 1;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->n_threads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    lathe_dealloc(p->threads);
    lathe_dealloc(p);
}

/* worker.c - one helper thread running one job at a time (lathe_node.h). The readahead, the
 * write-behind and the meters' second half all had their own mutex, conditions and quit flag;
 * this is that code once. */
#include "lathe_node.h"

#include <pthread.h>

struct lathe_worker {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t go, done;
    void (*job)(void *);
    void *arg;
    int pending, quit, threaded;
};

static void *worker_main(void *p)
{
    lathe_worker *w = p;
    pthread_mutex_lock(&w->mu);
    for (;;) {
        while (!w->pending && !w->quit)
            pthread_cond_wait(&w->go, &w->mu);
        if (!w->pending)
            break; /* quit with nothing left to run */
        pthread_mutex_unlock(&w->mu); /* the job's data is the worker's until it is done */
        w->job(w->arg);
        pthread_mutex_lock(&w->mu);
        w->pending = 0;
        pthread_cond_signal(&w->done);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

int lathe_worker_new(lathe_worker **out)
{
    lathe_worker *w = lathe_calloc(1, sizeof *w);
    if (!w)
        return LATHE_ERR_NOMEM;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->go, NULL);
    pthread_cond_init(&w->done, NULL);
    w->threaded = pthread_create(&w->thread, NULL, worker_main, w) == 0;
    *out = w;
    return LATHE_OK;
}

void lathe_worker_wait(lathe_worker *w)
{
    if (!w->threaded)
        return;
    pthread_mutex_lock(&w->mu);
    while (w->pending)
        pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

void lathe_worker_run(lathe_worker *w, void (*job)(void *), void *arg)
{
    if (!w->threaded) {
        job(arg); /* no thread could be had: the same work, in place */
        return;
    }
    lathe_worker_wait(w);
    pthread_mutex_lock(&w->mu);
    w->job = job;
    w->arg = arg;
    w->pending = 1;
    pthread_cond_signal(&w->go);
    pthread_mutex_unlock(&w->mu);
}

void lathe_worker_free(lathe_worker *w)
{
    if (!w)
        return;
    if (w->threaded) {
        pthread_mutex_lock(&w->mu);
        w->quit = 1; /* a job already handed over still runs: its owner waits for it */
        pthread_cond_signal(&w->go);
        pthread_mutex_unlock(&w->mu);
        pthread_join(w->thread, NULL);
    }
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->go);
    pthread_cond_destroy(&w->done);
    lathe_dealloc(w);
}

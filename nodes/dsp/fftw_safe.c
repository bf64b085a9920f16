/* fftw_safe.c - see fftw_safe.h. */
#include "fftw_safe.h"

#include <fftw3.h>
#include <pthread.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void make_safe(void)
{
    fftw_make_planner_thread_safe();
}

void lathe_fftw_planner_safe(void)
{
    pthread_once(&once, make_safe);
}

#define _POSIX_C_SOURCE 200809L
#include "progress.h"

#include <stdio.h>
#include <time.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void lathe_progress_begin(lathe_progress *p, int on, const char *phase, uint64_t total_frames,
                          uint32_t rate)
{
    p->on = on;
    p->phase = phase;
    p->total = total_frames ? total_frames : 1;
    p->rate = rate ? rate : 48000;
    p->t0 = p->last = now_s();
}

void lathe_progress_update(lathe_progress *p, uint64_t frames)
{
    if (!p->on)
        return;
    double t = now_s();
    if (t - p->last < 0.2)
        return;
    p->last = t;
    double frac = (double)frames / (double)p->total, el = t - p->t0;
    double speed = el > 0 ? (double)frames / p->rate / el : 0;
    double eta = frac > 0 ? el * (1 - frac) / frac : 0;
    int w = (int)(frac * 30);
    fprintf(stderr, "\r%-10s [%-30.*s] %3.0f%%  %6.1fx real time  ETA %4.0fs ", p->phase, w,
            "##############################", frac * 100, speed, eta);
    fflush(stderr);
}

void lathe_progress_end(lathe_progress *p)
{
    if (p->on)
        fprintf(stderr, "\r%72s\r", "");
}

void lathe_progress_phase(int on, const char *phase)
{
    if (!on)
        return;
    fprintf(stderr, "\r%-72s\r%s ...", "", phase);
    fflush(stderr);
}

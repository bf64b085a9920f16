/* click_rank.c - groups and ranks clicks (see click_rank.h). */
#include "click_rank.h"
#include "lathe/lathe_node.h"

#include <stdlib.h>

static int by_time(const void *pa, const void *pb)
{
    const lathe_qc_event *a = pa, *b = pb;
    if (a->frame != b->frame)
        return a->frame < b->frame ? -1 : 1;
    return (a->channel > b->channel) - (a->channel < b->channel);
}

static int by_rank(const void *pa, const void *pb)
{
    const lathe_click_group *a = pa, *b = pb;
    if (a->peak != b->peak)
        return a->peak > b->peak ? -1 : 1;
    if (a->count != b->count)
        return a->count > b->count ? -1 : 1;
    return (a->start_s > b->start_s) - (a->start_s < b->start_s);
}

size_t lathe_click_groups(const lathe_qc_event *clicks, size_t n, double rate,
                          lathe_click_group *out)
{
    if (n == 0 || rate <= 0.0)
        return 0;
    lathe_qc_event *ev = lathe_alloc(n * sizeof *ev);
    if (!ev)
        return 0;
    for (size_t i = 0; i < n; i++)
        ev[i] = clicks[i];
    qsort(ev, n, sizeof *ev, by_time);
    size_t g = 0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)ev[i].frame / rate;
        lathe_click_group *cur = g ? &out[g - 1] : NULL;
        if (!cur || t - cur->end_s > LATHE_CLICK_GROUP_GAP_S ||
            t - cur->start_s > LATHE_CLICK_GROUP_SPAN_S) {
            out[g++] = (lathe_click_group){t, t, t, ev[i].value, 1, ev[i].channel};
            continue;
        }
        cur->end_s = t;
        cur->count++;
        if (ev[i].value > cur->peak) {
            cur->peak = ev[i].value;
            cur->strongest_s = t;
            cur->channel = ev[i].channel;
        }
    }
    lathe_dealloc(ev);
    qsort(out, g, sizeof *out, by_rank);
    return g;
}

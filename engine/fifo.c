#include "fifo.h"

#include <string.h>

int lathe_fifo_init(lathe_fifo *f, uint32_t channels, uint32_t cap)
{
    memset(f, 0, sizeof *f);
    f->channels = channels;
    f->cap = cap;
    for (uint32_t c = 0; c < channels; c++)
        if (!(f->ch[c] = lathe_alloc(sizeof(float) * cap)))
            return LATHE_ERR_NOMEM;
    return LATHE_OK;
}

void lathe_fifo_fini(lathe_fifo *f)
{
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++) {
        lathe_dealloc(f->ch[c]);
        lathe_dealloc(f->over[c]);
    }
    memset(f, 0, sizeof *f);
}

/* Grows planar buffers b (len frames kept) to at least `need` frames. */
static int grow(float **b, uint32_t channels, uint32_t len, uint32_t *cap, uint32_t need)
{
    uint32_t c2 = *cap ? *cap : 4096;
    while (c2 < need)
        c2 *= 2;
    for (uint32_t c = 0; c < channels; c++) {
        float *t = lathe_alloc(sizeof(float) * c2);
        if (!t)
            return LATHE_ERR_NOMEM;
        if (len)
            memcpy(t, b[c], sizeof(float) * len);
        lathe_dealloc(b[c]);
        b[c] = t;
    }
    *cap = c2;
    return LATHE_OK;
}

int lathe_fifo_push(lathe_fifo *f, const float *const *x, uint32_t n)
{
    if (!f->over_len && f->len + n <= f->cap) {
        for (uint32_t c = 0; c < f->channels; c++)
            memcpy(f->ch[c] + f->len, x[c], sizeof(float) * n);
        f->len += n;
        return LATHE_OK;
    }
    if (f->over_len + n > f->over_cap &&
        grow(f->over, f->channels, f->over_len, &f->over_cap, f->over_len + n) != LATHE_OK)
        return LATHE_ERR_NOMEM;
    for (uint32_t c = 0; c < f->channels; c++)
        memcpy(f->over[c] + f->over_len, x[c], sizeof(float) * n);
    f->over_len += n;
    return LATHE_OK;
}

int lathe_fifo_publish(lathe_fifo *f)
{
    if (f->over_len) {
        if (f->len + f->over_len > f->cap &&
            grow(f->ch, f->channels, f->len, &f->cap, f->len + f->over_len) != LATHE_OK)
            return LATHE_ERR_NOMEM;
        for (uint32_t c = 0; c < f->channels; c++)
            memcpy(f->ch[c] + f->len, f->over[c], sizeof(float) * f->over_len);
        f->len += f->over_len;
        f->over_len = 0;
    }
    f->published = f->start + f->len;
    f->published_ended = f->ended;
    return LATHE_OK;
}

void lathe_fifo_drop_until(lathe_fifo *f, uint64_t pos)
{
    if (pos <= f->start)
        return;
    uint32_t drop = (uint32_t)(pos - f->start);
    if (drop > f->len)
        drop = f->len;
    for (uint32_t c = 0; c < f->channels; c++)
        memmove(f->ch[c], f->ch[c] + drop, sizeof(float) * (f->len - drop));
    f->len -= drop;
    f->start += drop;
}

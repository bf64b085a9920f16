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
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        lathe_dealloc(f->ch[c]);
    memset(f, 0, sizeof *f);
}

int lathe_fifo_push(lathe_fifo *f, const float *const *x, uint32_t n)
{
    if (f->len + n > f->cap) {
        uint32_t cap = f->cap * 2;
        while (cap < f->len + n)
            cap *= 2;
        for (uint32_t c = 0; c < f->channels; c++) {
            float *t = lathe_alloc(sizeof(float) * cap);
            if (!t)
                return LATHE_ERR_NOMEM;
            memcpy(t, f->ch[c], sizeof(float) * f->len);
            lathe_dealloc(f->ch[c]);
            f->ch[c] = t;
        }
        f->cap = cap;
    }
    for (uint32_t c = 0; c < f->channels; c++)
        memcpy(f->ch[c] + f->len, x[c], sizeof(float) * n);
    f->len += n;
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

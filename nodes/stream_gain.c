/* stream_gain.c - measuring a barrier node's materialised input (see stream_gain.h). */
#include "stream_gain.h"

#include "measure/bs1770.h"
#include "dsp/truepeak.h"
#include "measure/kernel_host.h"

#define READ_FRAMES 4096

int stream_gain_measure(lathe_stream *st, float g, double *lufs, double *tp_db, char *err,
                        size_t n_err)
{
    const lathe_format *f = lathe_stream_format(st);
    float *buf[LATHE_MAX_CHANNELS] = {0};
    lathe_bs1770 *meter = NULL;
    lathe_truepeak *tp = NULL;
    int rc = LATHE_ERR_NOMEM;
    if (lathe_bs1770_new(f->rate, f->channels, &meter) != 0 ||
        lathe_bs1770_reserve(meter, f->frames) != 0 ||
        lathe_truepeak_new(f->rate, f->channels, lathe_kernel_alloc(), &tp) != 0)
        goto done;
    for (uint32_t c = 0; c < f->channels; c++)
        if (!(buf[c] = lathe_alloc(READ_FRAMES * sizeof(float))))
            goto done;
    rc = lathe_stream_rewind(st);
    long got;
    while (rc == LATHE_OK && (got = lathe_stream_read(st, buf, READ_FRAMES)) != 0) {
        if (got < 0) {
            snprintf(err, n_err, "input could not be read");
            rc = LATHE_ERR_IO;
            break;
        }
        for (uint32_t c = 0; c < f->channels && g != 1.0f; c++)
            for (long i = 0; i < got; i++)
                buf[c][i] *= g;
        lathe_bs1770_add(meter, (const float *const *)buf, (uint32_t)got);
        lathe_truepeak_add(tp, (const float *const *)buf, (uint32_t)got);
    }
    *lufs = lathe_bs1770_integrated(meter);
    *tp_db = lathe_gain_to_db(lathe_truepeak_max(tp));
done:
    for (uint32_t c = 0; c < f->channels; c++)
        lathe_dealloc(buf[c]);
    lathe_bs1770_free(meter);
    lathe_truepeak_free(tp);
    return rc;
}

/* limit_testutil.c - shared helpers of test_limit.c and test_loudness.c (limit_testutil.h),
 * compiled once into lathe_testutil. */
#include "limit_testutil.h"

#include "engine/params.h"
#include "measure/bs1770.h"
#include "dsp/truepeak.h"

#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef LATHE_HAVE_EBUR128
#include <ebur128.h>
#endif

void lt_limit_blocks(lathe_limiter *l, const tu_signal *x, tu_signal *y, uint32_t block,
                     const lathe_limiter_peaks *memo, int half)
{
    for (uint64_t at = 0; at < x->fmt.frames; at += block) {
        uint32_t n = x->fmt.frames - at < block ? (uint32_t)(x->fmt.frames - at) : block;
        const float *in[8];
        float *out[8];
        for (uint32_t ch = 0; ch < x->fmt.channels; ch++) {
            in[ch] = x->ch[ch] + at;
            out[ch] = y->ch[ch] + at;
        }
        lathe_limiter_peaks pk = memo ? *memo : (lathe_limiter_peaks){ .given = 0 };
        for (int k = 0; memo && k < lathe_limiter_peak_channels(l); k++)
            pk.v[k] = memo->v[k] + at;
        if (half) {
            lathe_limiter_front_peaks(l, in, n, 1, memo ? &pk : NULL);
            lathe_limiter_back(l, 1, out, NULL);
        } else {
            lathe_limiter_process_peaks(l, in, out, n, NULL, memo ? &pk : NULL);
        }
    }
}

void lt_set(const lathe_node_desc *d, void *p, const char *name, double v)
{
    char err[256];
    const lathe_param *pp = lathe_params_find(d->params, name);
    int rc = pp ? lathe_param_set_number(pp, p, v, err, sizeof err) : -1;
    if (rc != 0) {
        fprintf(stderr, "test bug: cannot set %s=%g\n", name, v);
        exit(2);
    }
}

void lt_set_str(const lathe_node_desc *d, void *p, const char *name, const char *v)
{
    char err[256];
    const lathe_param *pp = lathe_params_find(d->params, name);
    if (!pp || lathe_param_set_string(pp, p, v, err, sizeof err) != 0) {
        fprintf(stderr, "test bug: cannot set %s=%s\n", name, v);
        exit(2);
    }
}

/* lathe's 8x meter, dBTP. */
double lt_tp_lathe(const tu_signal *s)
{
    lathe_truepeak *t;
    if (lathe_truepeak_new(s->fmt.rate, s->fmt.channels, NULL, &t) != 0)
        return NAN;
    lathe_truepeak_add(t, (const float *const *)s->ch, (uint32_t)s->fmt.frames);
    /* flush the interpolator so the last samples' intervals are measured too */
    float *z = calloc(256, sizeof(float));
    const float *zc[LATHE_MAX_CHANNELS];
    for (uint32_t c = 0; c < s->fmt.channels; c++)
        zc[c] = z;
    lathe_truepeak_add(t, zc, 256);
    double v = lathe_truepeak_max(t);
    free(z);
    lathe_truepeak_free(t);
    return 20.0 * log10(v);
}

double lt_lufs_lathe(const tu_signal *s)
{
    lathe_bs1770 *m;
    if (lathe_bs1770_new(s->fmt.rate, s->fmt.channels, &m) != 0)
        return NAN;
    lathe_bs1770_add(m, (const float *const *)s->ch, (uint32_t)s->fmt.frames);
    double v = lathe_bs1770_integrated(m);
    lathe_bs1770_free(m);
    return v;
}

#ifdef LATHE_HAVE_EBUR128
/* libebur128: integrated loudness (LUFS) and true peak (dBTP, max over channels). */
void lt_ebur(const tu_signal *s, double *lufs, double *tp)
{
    uint32_t ch = s->fmt.channels;
    size_t n = (size_t)s->fmt.frames;
    ebur128_state *st = ebur128_init(ch, s->fmt.rate, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    float *il = malloc(sizeof(float) * ch * 65536);
    for (size_t off = 0; off < n; off += 65536) {
        size_t k = n - off < 65536 ? n - off : 65536;
        for (size_t i = 0; i < k; i++)
            for (uint32_t c = 0; c < ch; c++)
                il[i * ch + c] = s->ch[c][off + i];
        ebur128_add_frames_float(st, il, k);
    }
    double m = 0.0, v;
    for (uint32_t c = 0; c < ch; c++)
        if (ebur128_true_peak(st, c, &v) == EBUR128_SUCCESS && v > m)
            m = v;
    *tp = 20.0 * log10(m);
    if (ebur128_loudness_global(st, lufs) != EBUR128_SUCCESS)
        *lufs = NAN;
    free(il);
    ebur128_destroy(&st);
}
#endif

void lt_scale(tu_signal *s, double g)
{
    for (uint32_t c = 0; c < s->fmt.channels; c++)
        for (uint64_t i = 0; i < s->fmt.frames; i++)
            s->ch[c][i] = (float)((double)s->ch[c][i] * g);
}

/* Programme-like stereo signals (PLR = true peak - integrated loudness): kind 0 dense (three
 * detuned tones + a little noise, PLR ~7 dB), 1 sustained noise with a slow envelope (~9 dB),
 * 2 percussive noise hits with fast decays over a bed (~17 dB), 3 a bass line with short
 * clicks over a bed (~13 dB). Low-passed noise so the spectrum is music-like. */
tu_signal lt_programme(int kind, uint32_t rate, double seconds, uint64_t seed)
{
    uint64_t n = (uint64_t)(seconds * rate);
    tu_signal s = tu_signal_new(rate, 2, n);
    const double pi = 3.14159265358979323846;
    for (uint32_t c = 0; c < 2; c++) {
        uint64_t rs = seed * 2654435761u + c + 1;
        double lp = 0.0, a = exp(-2.0 * pi * 3000.0 / rate);
        for (uint64_t i = 0; i < n; i++) {
            double t = (double)i / rate, w = tu_rand(&rs);
            lp = a * lp + (1.0 - a) * w * 3.0;
            double v;
            if (kind == 0) {
                v = sin(2 * pi * 110.0 * t) + 0.8 * sin(2 * pi * 165.3 * t + c) +
                    0.6 * sin(2 * pi * 220.7 * t) + 0.3 * lp;
            } else if (kind == 1) {
                v = lp * (0.6 + 0.4 * sin(2 * pi * 0.25 * t));
            } else if (kind == 2) {
                double ph = fmod(t, 0.5);
                v = lp * (0.15 + 3.0 * exp(-ph / 0.012));
            } else {
                double ph = fmod(t + 0.1 * c, 0.25);
                v = lp * 0.4 + 0.5 * sin(2 * pi * 55.0 * t) * exp(-ph / 0.08) +
                    lp * 2.0 * exp(-ph / 0.004);
            }
            s.ch[c][i] = (float)v;
        }
    }
    return s;
}

/* Reads at most max_s seconds of an audio file (libsndfile); -1 when it cannot be opened. */
int lt_read_file(const char *path, double max_s, tu_signal *out)
{
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return -1;
    sf_count_t n = info.frames;
    if (n > (sf_count_t)(max_s * info.samplerate))
        n = (sf_count_t)(max_s * info.samplerate);
    float *il = malloc(sizeof(float) * (size_t)n * (size_t)info.channels);
    n = sf_readf_float(f, il, n);
    sf_close(f);
    *out = tu_signal_new((uint32_t)info.samplerate, (uint32_t)info.channels, (uint64_t)n);
    for (sf_count_t i = 0; i < n; i++)
        for (int c = 0; c < info.channels; c++)
            out->ch[c][i] = il[i * info.channels + c];
    free(il);
    return 0;
}

/* The real mixes of $LATHE_SRC/../shared/audio (tier 2; absent in a user's clone). */
const char *const lt_mixes[] = { "greshz-coolsnip.wav", "surrender-main.wav",
                                        "esoxlb-cpu-excerpt.wav", "oglsdl-dr8v2.flac", NULL };

int lt_read_mix(int i, double max_s, tu_signal *out)
{
    const char *src = getenv("LATHE_SRC");
    char path[1024];
    snprintf(path, sizeof path, "%s/../shared/audio/%s", src ? src : ".", lt_mixes[i]);
    return lt_read_file(path, max_s, out);
}

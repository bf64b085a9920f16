/* What a spec check measures, in one read of the file: the full analysis (analysis.h), the
 * correlation of the low end per 1 s window (vinyl, specs.md §3.3), and lossy round trips through
 * libsndfile's MP3 and Opus encoders, decoded and counted like afclip (§1.3, §6.10). */
#define _POSIX_C_SOURCE 200809L
#include "spec_measure.h"
#include "options.h"

#include "engine/readahead.h"

#include "dsp/biquad.h"
#include "dsp/truepeak.h"
#include "measure/kernel_host.h"

#include <samplerate.h>
#include <sndfile.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK 8192
/* libsndfile maps Opus compression level 0..1 linearly from the top bitrate down; this level
 * gives about 160 kbit/s stereo (measured from the encoded size, see the tests). */
#ifndef LATHE_SPEC_OPUS_LEVEL
#define LATHE_SPEC_OPUS_LEVEL 0.7
#endif
#define LF_SILENT 1e-7 /* mean square below about -70 dBFS: no correlation to speak of */

/* ---- Low-end correlation ------------------------------------------------------------------- */

struct lathe_spec_lf {
    lathe_biquad_cascade lp;
    float l[BLOCK], r[BLOCK];
    uint32_t window, fill;
    double sll, srr, slr;
    uint64_t frames;
    lathe_spec_extra *x;
};

lathe_spec_lf *lathe_spec_lf_new(const lathe_spec_wants *w, uint32_t rate, uint32_t channels,
                                 lathe_spec_extra *x)
{
    lathe_spec_lf *m;
    if (channels != 2 || !isfinite(w->lf_hz) || !(w->lf_hz < 0.45 * rate) ||
        !(m = calloc(1, sizeof *m)))
        return NULL;
    lathe_biquad sec[LATHE_BIQUAD_MAX_SECTIONS];
    int ns = lathe_biquad_linkwitz_riley(sec, 4, 0, w->lf_hz, rate);
    lathe_biquad_cascade_init(&m->lp, sec, ns, 2);
    m->window = rate;
    m->x = x;
    x->lf_hz = w->lf_hz;
    return m;
}

void lathe_spec_lf_free(lathe_spec_lf *m)
{
    free(m);
}

static void lf_close_window(lathe_spec_lf *m)
{
    if (m->fill >= m->window / 2 && (m->sll + m->srr) / (2.0 * m->fill) > LF_SILENT) {
        double c = m->slr / sqrt(m->sll * m->srr + 1e-30);
        if (!m->x->have_lf || c < m->x->lf_corr_min) {
            m->x->lf_corr_min = c;
            m->x->lf_corr_min_time_s = (double)(m->frames - m->fill) / m->window;
        }
        m->x->have_lf = 1;
    }
    m->sll = m->srr = m->slr = 0;
    m->fill = 0;
}

void lathe_spec_lf_add(lathe_spec_lf *m, const float *const *ch, uint32_t n)
{
    for (uint32_t at = 0; at < n; at += BLOCK) {
        const uint32_t k = n - at < BLOCK ? n - at : BLOCK;
        const float *in[2] = {ch[0] + at, ch[1] + at};
        float *out[2] = {m->l, m->r};
        lathe_biquad_cascade_process(&m->lp, in, out, k);
        for (uint32_t i = 0; i < k; i++) {
            double a = m->l[i], b = m->r[i];
            m->sll += a * a;
            m->srr += b * b;
            m->slr += a * b;
            m->frames++;
            if (++m->fill == m->window)
                lf_close_window(m);
        }
    }
}

void lathe_spec_lf_finish(lathe_spec_lf *m)
{
    if (m->fill)
        lf_close_window(m);
}

/* ---- Codec round trip ---------------------------------------------------------------------- */

typedef struct codec_run {
    lathe_spec_codec *c;
    SNDFILE *sf;
    SRC_STATE *src;
    double ratio;
    float *obuf;
    long ocap;
    char path[256];
    uint32_t channels, rate;
    uint64_t frames;
} codec_run;

static int codec_open(codec_run *k, lathe_spec_codec *c, int format, double level, uint32_t rate,
                      uint32_t channels)
{
    memset(k, 0, sizeof *k);
    k->c = c;
    k->channels = channels;
    k->rate = rate;
    SF_INFO si = {.samplerate = (int)c->rate, .channels = (int)channels, .format = format};
    if (!sf_format_check(&si)) {
        snprintf(c->note, sizeof c->note, "this libsndfile cannot encode it (%u ch, %u Hz)",
                 channels, c->rate);
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(k->path, sizeof k->path, "%s/lathe-codec-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int fd = mkstemp(k->path);
    if (fd < 0 || !(k->sf = sf_open_fd(fd, SFM_WRITE, &si, 1))) {
        snprintf(c->note, sizeof c->note, "encoder did not open: %s", sf_strerror(NULL));
        if (fd >= 0)
            unlink(k->path);
        k->path[0] = 0;
        return -1;
    }
    int mode = SF_BITRATE_MODE_CONSTANT;
    sf_command(k->sf, SFC_SET_BITRATE_MODE, &mode, sizeof mode);
    sf_command(k->sf, SFC_SET_COMPRESSION_LEVEL, &level, sizeof level);
    if (c->rate != rate) {
        int e;
        k->src = src_new(SRC_SINC_MEDIUM_QUALITY, (int)channels, &e);
        k->ratio = (double)c->rate / rate;
        k->ocap = (long)(BLOCK * k->ratio) + 64;
        k->obuf = malloc((size_t)k->ocap * channels * sizeof(float));
        if (!k->src || !k->obuf) {
            snprintf(c->note, sizeof c->note, "resampler for the probe failed");
            return -1;
        }
    }
    c->available = 1;
    return 0;
}

/* Encodes n interleaved frames (resampled first when the codec needs another rate). */
static void codec_feed(codec_run *k, float *il, long n, int eof)
{
    if (!k->sf)
        return;
    k->frames += (uint64_t)n;
    if (!k->src) {
        sf_writef_float(k->sf, il, n);
        return;
    }
    SRC_DATA d = {.data_in = il, .input_frames = n, .data_out = k->obuf,
                  .output_frames = k->ocap, .src_ratio = k->ratio, .end_of_input = eof};
    do {
        if (src_process(k->src, &d) != 0)
            break;
        sf_writef_float(k->sf, k->obuf, d.output_frames_gen);
        d.data_in += d.input_frames_used * k->channels;
        d.input_frames -= d.input_frames_used;
    } while (d.input_frames > 0 || (eof && d.output_frames_gen > 0));
}

/* Decodes the encoded file and counts overs: on-sample (|x| >= 1) and frames whose reconstructed
 * peak is over 1 while no sample of them is (inter-sample). */
static void codec_measure(codec_run *k)
{
    lathe_spec_codec *c = k->c;
    SF_INFO si = {0};
    SNDFILE *sf = sf_open(k->path, SFM_READ, &si);
    lathe_truepeak *tp = NULL;
    float *il = malloc((size_t)BLOCK * si.channels * sizeof(float) + 1);
    float *pl = malloc((size_t)BLOCK * (si.channels + 1) * sizeof(float) + 1);
    if (!sf || !il || !pl || si.channels < 1 || si.channels > 8 ||
        lathe_truepeak_new((uint32_t)si.samplerate, (uint32_t)si.channels, lathe_kernel_alloc(),
                           &tp) != 0) {
        c->available = 0;
        snprintf(c->note, sizeof c->note, "the encoded file could not be decoded");
        goto done;
    }
    float *ch[8], *peaks = pl + (size_t)BLOCK * si.channels;
    for (int j = 0; j < si.channels; j++)
        ch[j] = pl + (size_t)j * BLOCK;
    double speak = 0;
    uint64_t frames_over = 0, frames_on = 0;
    sf_count_t n;
    while ((n = sf_readf_float(sf, il, BLOCK)) > 0) {
        for (sf_count_t i = 0; i < n; i++) {
            int on = 0;
            for (int j = 0; j < si.channels; j++) {
                float v = il[i * si.channels + j];
                ch[j][i] = v;
                double a = fabs((double)v);
                speak = a > speak ? a : speak;
                if (a >= 1.0) {
                    c->on_sample++;
                    on = 1;
                }
            }
            frames_on += (uint64_t)on;
        }
        lathe_truepeak_frame_peaks(tp, (const float *const *)ch, (uint32_t)n, peaks);
        for (sf_count_t i = 0; i < n; i++)
            frames_over += peaks[i] > 1.0f;
    }
    c->inter_sample = frames_over > frames_on ? frames_over - frames_on : 0;
    c->sample_peak_dbfs = lathe_gain_to_db(speak);
    c->true_peak_dbtp = lathe_gain_to_db(lathe_truepeak_max(tp));
done:
    if (sf)
        sf_close(sf);
    lathe_truepeak_free(tp);
    free(il);
    free(pl);
}

static void codec_close(codec_run *k)
{
    if (k->sf) {
        sf_close(k->sf);
        k->sf = NULL;
        FILE *f = fopen(k->path, "rb");
        if (f) {
            fseek(f, 0, SEEK_END);
            k->c->bytes = ftell(f);
            fclose(f);
            if (k->frames)
                k->c->kbps = 8.0 * (double)k->c->bytes / ((double)k->frames / k->rate) / 1000.0;
        }
        if (k->c->available)
            codec_measure(k);
    }
    if (k->path[0])
        unlink(k->path);
    if (k->src)
        src_delete(k->src);
    free(k->obuf);
}

/* MP3 320k at the file's rate (MPEG-1 rates; others go through 48 kHz), Opus 160k at 48 kHz.
 * libsndfile maps compression level 0..1 onto the codec's bitrate range: 0 is 320k for MP3;
 * for Opus the level is set so the nominal bitrate is 160k. */
static void codecs_open(codec_run *k, lathe_spec_extra *x, uint32_t rate, uint32_t channels)
{
    x->n_codecs = 2;
    lathe_spec_codec *mp3 = &x->codecs[0], *opus = &x->codecs[1];
    memset(x->codecs, 0, sizeof x->codecs);
    mp3->name = "mp3_320k";
    opus->name = "opus_160k";
    mp3->rate = rate == 32000 || rate == 44100 || rate == 48000 ? rate : 48000;
    opus->rate = 48000;
    if (channels > 2) {
        snprintf(mp3->note, sizeof mp3->note, "more than 2 channels");
        snprintf(opus->note, sizeof opus->note, "more than 2 channels");
        memset(k, 0, 2 * sizeof *k);
        return;
    }
    if (codec_open(&k[0], mp3, SF_FORMAT_MPEG | SF_FORMAT_MPEG_LAYER_III, 0.0, rate, channels))
        codec_close(&k[0]), memset(&k[0], 0, sizeof k[0]), mp3->available = 0;
    if (codec_open(&k[1], opus, SF_FORMAT_OGG | SF_FORMAT_OPUS, LATHE_SPEC_OPUS_LEVEL, rate, channels))
        codec_close(&k[1]), memset(&k[1], 0, sizeof k[1]), opus->available = 0;
}

/* ---- The pass ------------------------------------------------------------------------------- */

typedef struct codec_job {
    codec_run *k;
    const char *path;
    pthread_t thread;
    int started;
} codec_job;

/* One lossy round trip on its own thread, reading the file itself: the two encoders are the
 * slowest part of a streaming check and independent of each other and of the analysis. */
static void *codec_thread(void *arg)
{
    codec_job *j = arg;
    lathe_audio_reader *rd = NULL;
    lathe_audio_info info;
    char err[LATHE_ERR_MAX + 64];
    if (j->k->sf && lathe_audio_reader_open(j->path, &rd, &info, err, sizeof err) == LATHE_OK) {
        uint32_t nc = info.format.channels;
        float *buf = malloc((size_t)nc * BLOCK * sizeof(float));
        float *il = malloc((size_t)nc * BLOCK * sizeof(float));
        float *ch[LATHE_ANALYSIS_MAX_CH];
        long n = 0;
        for (uint32_t c = 0; buf && c < nc; c++)
            ch[c] = buf + (size_t)c * BLOCK;
        while (buf && il && !lathe_cli_interrupted() && (n = lathe_audio_reader_read(rd, ch, BLOCK)) > 0) {
            /* A NaN or infinity aborts the MP3 encoder; the file already fails "finite", so the
             * round trip hears silence there instead. */
            for (long i = 0; i < n; i++)
                for (uint32_t c = 0; c < nc; c++)
                    il[i * nc + c] = isfinite(ch[c][i]) ? ch[c][i] : 0.0f;
            codec_feed(j->k, il, n, 0);
        }
        if (il)
            codec_feed(j->k, il, 0, 1);
        free(buf);
        free(il);
        lathe_audio_reader_free(rd);
    }
    codec_close(j->k); /* measures the decoded file */
    return NULL;
}

int lathe_spec_measure_file(const char *path, const lathe_spec_wants *w,
                            lathe_analysis_result **r, lathe_audio_info *info,
                            lathe_spec_extra *x, char *err, size_t err_size)
{
    memset(x, 0, sizeof *x);
    lathe_audio_reader *rd = NULL;
    if (lathe_audio_reader_open(path, &rd, info, err, err_size) != LATHE_OK)
        return 3;
    uint32_t nc = info->format.channels, rate = info->format.rate;
    lathe_readahead *ra = NULL;
    lathe_analysis *a = NULL;
    lathe_spec_lf *lf = NULL;
    codec_run codecs[2];
    codec_job jobs[2] = {{0}};
    int rc = 3;
    if (nc > LATHE_ANALYSIS_MAX_CH
        || (r && (lathe_analysis_new(rate, nc, &a) != 0
                  || lathe_analysis_reserve(a, info->format.frames) != 0))) {
        snprintf(err, err_size, "%s: cannot analyse %u channels at %u Hz", path, nc, rate);
        goto done;
    }
    lf = lathe_spec_lf_new(w, rate, nc, x);
    if (w->codec_check) {
        codecs_open(codecs, x, rate, nc);
        for (int k = 0; k < 2; k++) {
            jobs[k] = (codec_job){.k = &codecs[k], .path = path};
            jobs[k].started = pthread_create(&jobs[k].thread, NULL, codec_thread, &jobs[k]) == 0;
            if (!jobs[k].started)
                codec_thread(&jobs[k]);
        }
    }
    if ((a || lf) && lathe_readahead_new(rd, nc, BLOCK, &ra) != LATHE_OK) {
        snprintf(err, err_size, "%s: out of memory", path);
        goto done;
    }
    if (a && !(jobs[0].started || jobs[1].started))
        lathe_analysis_set_parallel(a); /* the codec round trips, when run, keep the core busy */
    long n = 0;
    const float *const *ch;
    while ((a || lf) && !lathe_cli_interrupted() && (n = lathe_readahead_next(ra, &ch, NULL, NULL)) > 0) {
        if (a)
            lathe_analysis_add(a, ch, (uint32_t)n);
        if (lf)
            lathe_spec_lf_add(lf, ch, (uint32_t)n);
    }
    if (n < 0) {
        snprintf(err, err_size, "%s: truncated or unreadable audio data", path);
        goto done;
    }
    if (lathe_cli_interrupted()) {
        snprintf(err, err_size, "interrupted");
        rc = 130;
        goto done;
    }
    if (lf)
        lathe_spec_lf_finish(lf);
    if (a && lathe_analysis_finish(a, r) != 0) {
        snprintf(err, err_size, "%s: out of memory", path);
        goto done;
    }
    rc = 0;
done:
    for (int k = 0; k < 2; k++)
        if (jobs[k].started)
            pthread_join(jobs[k].thread, NULL);
    lathe_spec_lf_free(lf);
    lathe_readahead_free(ra);
    lathe_analysis_free(a);
    lathe_audio_reader_free(rd);
    return rc;
}

/* ---- measure, then judge --------------------------------------------------------------------- */

static const char *default_platforms;

const char *lathe_spec_platforms(void)
{
    return default_platforms;
}

void lathe_spec_set_platforms(const char *list)
{
    default_platforms = list;
}

int lathe_spec_check(const char *spec, const char *platform_list, const char *path,
                     const lathe_analysis_result *r, const lathe_spec_extra *lf, json_t **out)
{
    lathe_spec_profile p;
    char err[256];
    if (lathe_spec_parse(spec, NULL, 0, &p, err, sizeof err) != 0) {
        *out = json_pack("{s:s, s:s}", "name", spec, "error", err);
        return -1;
    }
    lathe_spec_extra x;
    lathe_analysis_result *mine = NULL;
    lathe_audio_info info;
    lathe_spec_wants w = lathe_spec_wants_of(&p);
    /* the low end measured as the file was written, for this very frequency */
    const int lf_known = lf && isfinite(w.lf_hz) && lf->lf_hz == w.lf_hz;
    if (lf_known)
        w.lf_hz = NAN;
    if (lathe_spec_measure_file(path, &w, r ? NULL : &mine, &info, &x, err, sizeof err) != 0) {
        *out = json_pack("{s:s, s:s}", "name", p.name, "error", err);
        return -1;
    }
    if (lf_known) {
        x.have_lf = lf->have_lf;
        x.lf_hz = lf->lf_hz;
        x.lf_corr_min = lf->lf_corr_min;
        x.lf_corr_min_time_s = lf->lf_corr_min_time_s;
    }
    lathe_spec_file file = lathe_spec_file_of(&info);
    int rc = lathe_spec_evaluate(&p, platform_list ? platform_list : default_platforms,
                                 r ? r : mine, &file, &x, out);
    json_object_set_new(*out, "spec", json_string(spec));
    lathe_analysis_result_free(mine);
    return rc;
}

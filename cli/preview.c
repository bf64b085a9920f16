/* preview.c - level-matched A/B excerpts (see preview.h). */
#define _XOPEN_SOURCE 700
#include "preview.h"

#include "cli.h"
#include "report_svg.h"
#include "engine/audio_io.h"
#include "measure/bs1770.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

#define PREVIEW_S 30
#define FADE_S 0.02
#define BLOCK 8192

/* The source output 0 descends from, following first inputs (a match node's reference is its
 * second input). */
static const char *source_path(const lathe_graph *g)
{
    if (lathe_graph_output_count(g) == 0)
        return NULL;
    lathe_node_id id = lathe_graph_output_node(g, 0);
    for (int hops = 0; hops < 4096; hops++) {
        const char *p = lathe_graph_node_source_path(g, id);
        const lathe_node_id *in;
        if (p)
            return p;
        if (lathe_graph_node_inputs(g, id, &in) < 1)
            return NULL;
        id = in[0];
    }
    return NULL;
}

/* The whole second at which the loudest len_s seconds of the file start (power of all channels
 * per second, summed over the window); *dur_s gets the file's whole seconds. */
static int loudest_start(const char *path, int len_s, int *start_s, int *dur_s)
{
    lathe_audio_reader *r;
    lathe_audio_info info;
    char err[LATHE_ERR_MAX];
    if (lathe_audio_reader_open(path, &r, &info, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "lathe: %s\n", err);
        return 3;
    }
    uint32_t rate = info.format.rate, nc = info.format.channels;
    int secs = (int)(info.format.frames / rate);
    double *e = calloc((size_t)secs + 1, sizeof(double));
    float *buf[LATHE_MAX_CHANNELS] = {0};
    for (uint32_t c = 0; c < nc; c++)
        buf[c] = malloc(rate * sizeof(float));
    for (int s = 0; e && s < secs; s++) {
        long got = buf[nc - 1] ? lathe_audio_reader_read(r, buf, rate) : -1;
        for (uint32_t c = 0; c < nc; c++)
            for (long i = 0; i < got; i++)
                e[s] += (double)buf[c][i] * (double)buf[c][i];
    }
    int w = len_s < secs ? len_s : secs, best = 0;
    double sum = 0, top = -1;
    for (int s = 0; e && s < secs; s++) {
        sum += e[s] - (s >= w ? e[s - w] : 0.0);
        if (s >= w - 1 && sum > top) {
            top = sum;
            best = s - w + 1;
        }
    }
    *start_s = best;
    *dur_s = secs;
    for (uint32_t c = 0; c < nc; c++)
        free(buf[c]);
    free(e);
    lathe_audio_reader_free(r);
    return 0;
}

/* Reads [start, start + n) of path into planar buffers (malloc'd) with raised-cosine fades, and
 * measures its integrated loudness. */
static int excerpt(const char *path, lathe_preview_item *it, float **ch, uint32_t *nc, double *lufs)
{
    lathe_audio_reader *r;
    lathe_audio_info info;
    char err[LATHE_ERR_MAX];
    if (lathe_audio_reader_open(path, &r, &info, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "lathe: preview: %s\n", err);
        return 3;
    }
    *nc = info.format.channels;
    it->rate = info.format.rate;
    int rc = 3;
    for (uint32_t c = 0; c < *nc; c++)
        if (!(ch[c] = calloc(it->frames ? it->frames : 1, sizeof(float))))
            goto done;
    if (lathe_audio_reader_seek(r, it->start_frame) != LATHE_OK)
        goto done;
    for (uint64_t pos = 0; pos < it->frames;) {
        float *at[LATHE_MAX_CHANNELS];
        for (uint32_t c = 0; c < *nc; c++)
            at[c] = ch[c] + pos;
        uint64_t want = it->frames - pos < BLOCK ? it->frames - pos : BLOCK;
        long got = lathe_audio_reader_read(r, at, (uint32_t)want);
        if (got <= 0)
            break; /* a shorter output: the rest stays silent */
        pos += (uint64_t)got;
    }
    uint64_t fade = (uint64_t)(FADE_S * it->rate);
    for (uint64_t i = 0; i < fade && 2 * i < it->frames; i++) {
        float g = (float)(0.5 - 0.5 * cos(M_PI * (double)i / (double)fade));
        for (uint32_t c = 0; c < *nc; c++) {
            ch[c][i] *= g;
            ch[c][it->frames - 1 - i] *= g;
        }
    }
    lathe_bs1770 *m;
    if (lathe_bs1770_new(it->rate, *nc, &m) != 0)
        goto done;
    lathe_bs1770_add(m, (const float *const *)ch, (uint32_t)it->frames);
    *lufs = lathe_bs1770_integrated(m);
    lathe_bs1770_free(m);
    rc = 0;
done:
    lathe_audio_reader_free(r);
    return rc;
}

static int write_excerpt(const lathe_preview_item *it, float **ch, uint32_t nc)
{
    lathe_audio_writer_config cfg = {.container = LATHE_FMT_WAV, .bits = 32, .rate = it->rate,
                                     .channels = nc};
    lathe_audio_writer *w;
    char err[LATHE_ERR_MAX];
    float g = (float)pow(10.0, it->gain_db / 20.0);
    for (uint32_t c = 0; c < nc; c++)
        for (uint64_t i = 0; i < it->frames; i++)
            ch[c][i] *= g;
    if (lathe_audio_writer_open(it->file, &cfg, &w, err, sizeof err) != LATHE_OK
        || lathe_audio_writer_write(w, (const float *const *)ch, (uint32_t)it->frames) != LATHE_OK
        || lathe_audio_writer_commit(w, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "lathe: preview: %s: cannot write: %s\n", it->file, err);
        return 3;
    }
    lathe_audio_writer_free(w);
    return 0;
}

static void add_item(lathe_previews *pv, const char *out_dir, const char *stem, const char *label)
{
    lathe_preview_item *it = &pv->item[pv->n++];
    const char *slash = strrchr(label, '/');
    char name[256], href[512];
    snprintf(name, sizeof name, "%s", slash ? slash + 1 : label);
    const char *dot = strrchr(name, '.');
    snprintf(href, sizeof href, "preview/%s.%.*s.wav", stem, (int)(dot ? dot - name : (long)strlen(name)), name);
    memcpy(it->label, name, sizeof name);
    memcpy(it->href, href, sizeof href);
    snprintf(it->file, sizeof it->file, "%s/%s", out_dir, href);
}

int lathe_preview_write(const lathe_graph *g, const char *out_dir, const char *stem, double at_s,
                        lathe_previews *pv)
{
    const char *src = source_path(g), *paths[LATHE_PREVIEW_MAX];
    int start, dur, code;
    memset(pv, 0, sizeof *pv);
    if (!src)
        return 0; /* generated programmes have no source to compare with */
    if ((code = loudest_start(src, PREVIEW_S, &start, &dur)))
        return code;
    if (!isnan(at_s)) {
        if (at_s >= dur) {
            fprintf(stderr, "lathe: --preview-at %g: the source lasts %d s\n", at_s, dur);
            return 2;
        }
        start = (int)at_s;
    }
    pv->at_s = start;
    pv->len_s = dur - start < PREVIEW_S ? dur - start : PREVIEW_S;
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/preview", out_dir);
    if ((code = lathe_cli_ensure_dir(dir)))
        return code;
    /* Written by the engine's writer, which follows no link: name the folder by its real path. */
    char real[PATH_MAX];
    if (!realpath(out_dir, real))
        snprintf(real, sizeof real, "%s", out_dir);
    out_dir = real;
    paths[0] = src;
    add_item(pv, out_dir, stem, "source");
    for (int i = 0; i < lathe_graph_output_count(g) && pv->n < LATHE_PREVIEW_MAX; i++) {
        paths[pv->n] = lathe_graph_output_result(g, i)->path;
        add_item(pv, out_dir, stem, paths[pv->n]);
    }
    /* Whole seconds land on a frame at every rate: the same moment, sample-exact. */
    pv->lufs = INFINITY;
    float *ch[LATHE_PREVIEW_MAX][LATHE_MAX_CHANNELS] = {{0}};
    uint32_t nc[LATHE_PREVIEW_MAX] = {0};
    for (int k = 0; k < pv->n && !code; k++) {
        lathe_audio_info info;
        lathe_preview_item *it = &pv->item[k];
        it->start_frame = 0;
        it->frames = 0;
        lathe_audio_reader *r;
        char err[LATHE_ERR_MAX];
        if (lathe_audio_reader_open(paths[k], &r, &info, err, sizeof err) != LATHE_OK) {
            fprintf(stderr, "lathe: preview: %s\n", err);
            code = 3;
            break;
        }
        lathe_audio_reader_free(r);
        it->start_frame = (uint64_t)start * info.format.rate;
        it->frames = (uint64_t)(pv->len_s * info.format.rate);
        code = excerpt(paths[k], it, ch[k], &nc[k], &it->lufs_before);
        if (!code && isfinite(it->lufs_before) && it->lufs_before < pv->lufs)
            pv->lufs = it->lufs_before;
    }
    for (int k = 0; k < pv->n && !code; k++) {
        lathe_preview_item *it = &pv->item[k];
        it->gain_db = isfinite(it->lufs_before) && isfinite(pv->lufs) ? pv->lufs - it->lufs_before : 0.0;
        code = write_excerpt(it, ch[k], nc[k]);
    }
    for (int k = 0; k < pv->n; k++)
        for (uint32_t c = 0; c < LATHE_MAX_CHANNELS; c++)
            free(ch[k][c]);
    if (code)
        pv->n = 0;
    return code;
}

json_t *lathe_preview_to_json(const lathe_previews *pv)
{
    json_t *a = json_array();
    for (int k = 0; k < pv->n; k++) {
        const lathe_preview_item *it = &pv->item[k];
        json_t *o = json_object();
        json_object_set_new(o, "file", json_string(it->file));
        json_object_set_new(o, "of", json_string(it->label));
        json_object_set_new(o, "rate", json_integer(it->rate));
        json_object_set_new(o, "start_frame", json_integer((json_int_t)it->start_frame));
        json_object_set_new(o, "frames", json_integer((json_int_t)it->frames));
        json_object_set_new(o, "gain_db", json_real(it->gain_db));
        json_object_set_new(o, "lufs", isfinite(pv->lufs) ? json_real(pv->lufs) : json_null());
        json_array_append_new(a, o);
    }
    return a;
}

void lathe_preview_html(FILE *f, const lathe_previews *pv)
{
    if (!pv || pv->n == 0)
        return;
    fprintf(f, "<h2 id=\"preview\">Listen: level-matched A/B</h2>\n<p class=\"note\">The same "
               "%g s from %g s into the source, every excerpt at %.1f LUFS (the louder ones "
               "turned down, nothing limited), 20 ms fades. Start one, then another at the same "
               "place.</p>\n<div class=\"ab\">\n", pv->len_s, pv->at_s, pv->lufs);
    for (int k = 0; k < pv->n; k++) {
        fputs("<figure><figcaption>", f);
        lathe_html_escape(f, pv->item[k].label);
        fprintf(f, " (%+.1f dB)</figcaption><audio controls preload=\"none\" src=\"",
                pv->item[k].gain_db);
        lathe_html_escape(f, pv->item[k].href);
        fputs("\"></audio></figure>\n", f);
    }
    fputs("</div>\n", f);
}

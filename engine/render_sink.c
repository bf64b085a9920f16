/* The outputs of a streaming pass (see render_sink.h). */
#define _POSIX_C_SOURCE 200809L
#include "render_sink.h"

#include "md5.h"

#include <stdio.h>
#include <string.h>

int lathe_sink_open(lathe_graph *g, pass_sink *k, int s, int threads, const lathe_output_tap *tap)
{
    graph_sink *gs = &g->sinks[s];
    const graph_node *n = &g->nodes[lathe_plan_resolve(g, gs->node)];
    char err[LATHE_ERR_MAX + 64];
    lathe_audio_writer_config cfg = {
        .container = gs->format ? lathe_audio_format_from_path(gs->format)
                                : lathe_audio_format_from_path(gs->path),
        .bits = gs->bits, .rate = n->fmt.rate, .channels = n->fmt.channels,
        .bitrate_kbps = gs->bitrate_kbps, .frames = n->fmt.frames,
    };
    memset(k, 0, sizeof *k);
    if (cfg.container == LATHE_FMT_AUTO)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM,
                                "%s: unknown output format (use .wav, .flac, .aiff, .mp3, "
                                ".opus or .ogg)", gs->path);
    k->sink = s;
    k->node = lathe_plan_resolve(g, gs->node);
    int rc = lathe_audio_writer_open(gs->path, &cfg, &k->writer, err, sizeof err);
    if (rc != LATHE_OK)
        return lathe_graph_fail(g, -1, rc, "%s", err);
    for (int t = 0; gs->tags[t] && gs->tags[t + 1]; t += 2)
        lathe_audio_writer_set_tag(k->writer, gs->tags[t], gs->tags[t + 1]);
    rc = lathe_writebehind_new(k->writer, n->fmt.channels, threads > 1, &k->encoder);
    if (rc == LATHE_OK && tap && tap->open) {
        rc = tap->open(tap->ud, s, &n->fmt, &k->tap);
        k->tapped = rc == LATHE_OK;
        if (rc != LATHE_OK)
            rc = lathe_graph_fail(g, -1, rc, "%s: the output tap could not start", gs->path);
    }
    return rc;
}

int lathe_sink_write(lathe_graph *g, pass_sink *k, const float *const *x, uint32_t n,
                     const lathe_output_tap *tap)
{
    if (lathe_writebehind_write(k->encoder, x, n) != LATHE_OK)
        return lathe_graph_fail(g, -1, LATHE_ERR_IO,
                                "%s: write failed (disk full or file too large?)",
                                g->sinks[k->sink].path);
    if (tap && tap->write)
        tap->write(k->tap, x, n);
    k->pos += n;
    return LATHE_OK;
}

int lathe_sink_step(lathe_graph *g, pass_sink *k, const lathe_fifo *f, const lathe_output_tap *tap)
{
    uint32_t a = lathe_fifo_avail(f, k->pos);
    if (!a)
        return LATHE_OK;
    const float *x[LATHE_MAX_CHANNELS];
    for (uint32_t c = 0; c < f->channels; c++)
        x[c] = f->ch[c] + (k->pos - f->start);
    return lathe_sink_write(g, k, x, a, tap);
}

int lathe_sink_finish(lathe_graph *g, pass_sink *k, const lathe_output_tap *tap)
{
    graph_sink *gs = &g->sinks[k->sink];
    char err[LATHE_ERR_MAX + 64];
    if (lathe_writebehind_finish(k->encoder) != LATHE_OK)
        return lathe_graph_fail(g, -1, LATHE_ERR_IO,
                                "%s: write failed (disk full or file too large?)", gs->path);
    gs->result.clipped = lathe_audio_writer_clipped(k->writer);
    int rc = lathe_audio_writer_commit(k->writer, err, sizeof err);
    if (rc != LATHE_OK)
        return lathe_graph_fail(g, -1, rc, "%s", err);
    if (gs->md5 && lathe_graph_write_sums(g, gs->md5, err, sizeof err) != 0)
        return lathe_graph_fail(g, -1, LATHE_ERR_IO, "%s", err);
    if (k->tapped && tap->close)
        tap->close(tap->ud, k->sink, k->tap, 1);
    k->tapped = 0;
    return LATHE_OK;
}

void lathe_sink_close(pass_sink *k, const lathe_output_tap *tap)
{
    lathe_writebehind_free(k->encoder);
    lathe_audio_writer_free(k->writer); /* removes the temp file unless committed */
    if (k->tapped && tap->close)
        tap->close(tap->ud, k->sink, k->tap, 0);
}

#include "analyze_output.h"

#include <string.h>

void lathe_analyze_output_init(lathe_analyze_output *o, lathe_cache *cache, lathe_key key,
                               const lathe_format *fmt, uint32_t node_version, lathe_key memo_key)
{
    memset(o, 0, sizeof *o);
    o->memo_key = memo_key;
    o->cache = cache;
    o->key = key;
    o->fmt = *fmt;
    o->node_version = node_version;
    o->sink = -1;
}

void lathe_analyze_output_take_sink(lathe_analyze_output *o, lathe_graph *g, int sink,
                                    int threads, const lathe_output_tap *tap)
{
    o->g = g;
    o->sink = sink;
    o->threads = threads;
    o->tap = tap;
}

/* A candidate file not kept: its temp file removed, its tap closed as failed. */
static void drop_sink(lathe_analyze_output *o, pass_sink **k)
{
    if (*k) {
        lathe_sink_close(*k, o->tap);
        lathe_dealloc(*k);
    }
    *k = NULL;
}

static void drop(lathe_cache_writer **w)
{
    if (*w)
        lathe_cache_writer_abort(*w);
    *w = NULL;
}

void lathe_analyze_output_begin(lathe_analyze_ctx *ctx)
{
    lathe_analyze_output *o = ctx->output;
    if (!o || o->failed)
        return;
    drop(&o->current);
    o->current_frames = 0;
    if (o->sink >= 0) {
        drop_sink(o, &o->current_sink);
        if (o->sink_rc != LATHE_OK)
            return;
        pass_sink *k = lathe_calloc(1, sizeof *k);
        int rc = k ? lathe_sink_open(o->g, k, o->sink, o->threads, o->tap) : LATHE_ERR_NOMEM;
        o->current_sink = k; /* a writer opened before the failure still needs its close */
        if (rc != LATHE_OK) {
            drop_sink(o, &o->current_sink);
            o->sink_rc = rc;
        }
        return;
    }
    if (lathe_cache_writer_begin(o->cache, o->key, o->fmt.rate, o->fmt.channels, o->node_version,
                                 &o->current) != LATHE_OK)
        o->current = NULL;
}

void lathe_analyze_output_write(lathe_analyze_ctx *ctx, const float *const *y, uint32_t n)
{
    lathe_analyze_output *o = ctx->output;
    if (o && o->current_sink) {
        int rc = lathe_sink_write(o->g, o->current_sink, y, n, o->tap);
        o->current_frames += n;
        if (rc != LATHE_OK) {
            drop_sink(o, &o->current_sink);
            o->sink_rc = rc;
        }
        return;
    }
    if (!o || !o->current || o->failed)
        return;
    if (lathe_cache_writer_append(o->current, y, n) != LATHE_OK) {
        drop(&o->current);
        return;
    }
    o->current_frames += n;
}

int lathe_analyze_output_loudness(lathe_analyze_ctx *ctx, double *lufs)
{
    lathe_analyze_output *o = ctx->output;
    pass_sink *k = o ? o->current_sink : NULL;
    return k && k->tapped && o->tap->loudness && o->tap->loudness(k->tap, lufs);
}

void lathe_analyze_output_keep(lathe_analyze_ctx *ctx)
{
    lathe_analyze_output *o = ctx->output;
    if (o && o->current_sink) {
        drop_sink(o, &o->kept_sink);
        o->kept_sink = o->current_sink;
        o->kept_frames = o->current_frames;
        o->current_sink = NULL;
        return;
    }
    if (!o || !o->current)
        return;
    drop(&o->kept);
    o->kept = o->current;
    o->kept_frames = o->current_frames;
    o->current = NULL;
}

int lathe_analyze_output_finish(lathe_analyze_output *o, int analysis_ok)
{
    drop(&o->current);
    if (o->sink >= 0) {
        /* the candidate not kept goes first: its tap's close must not follow the kept one's */
        drop_sink(o, &o->current_sink);
        int written = 0;
        if (analysis_ok && o->sink_rc == LATHE_OK && o->kept_sink &&
            o->kept_frames == o->fmt.frames) {
            o->sink_rc = lathe_sink_finish(o->g, o->kept_sink, o->tap);
            written = o->sink_rc == LATHE_OK;
        }
        drop_sink(o, &o->kept_sink);
        return written ? LATHE_ANALYZE_WRITTEN : 0;
    }
    int taken = 0;
    /* A failed analysis (a loudness budget exceeded) must not leave an output behind: the next
     * run would find it cached and skip the check that refused it. */
    if (analysis_ok && o->kept && o->kept_frames == o->fmt.frames)
        taken = lathe_cache_writer_commit(o->kept) == LATHE_OK ? LATHE_ANALYZE_CACHED : 0;
    else
        drop(&o->kept);
    o->kept = NULL;
    return taken;
}

static lathe_key memo_key(const lathe_analyze_output *o, const char *tag)
{
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "memo");
    lathe_key_builder_add_key(&kb, o->memo_key);
    lathe_key_builder_add_str(&kb, tag);
    return lathe_key_builder_finish(&kb);
}

size_t lathe_analyze_recall(lathe_analyze_ctx *ctx, const char *tag, void *buf, size_t cap)
{
    size_t len = 0;
    if (!ctx->output || lathe_cache_get_blob(ctx->output->cache, memo_key(ctx->output, tag), buf,
                                             cap, &len) != LATHE_OK)
        return 0;
    return len;
}

void lathe_analyze_remember(lathe_analyze_ctx *ctx, const char *tag, const void *data, size_t n)
{
    if (ctx->output && n <= LATHE_CACHE_BLOB_MAX)
        lathe_cache_put_blob(ctx->output->cache, memo_key(ctx->output, tag), data, n);
}

static int input_memo(const lathe_analyze_ctx *ctx, int input, const char *tag, lathe_key *out)
{
    const lathe_analyze_output *o = ctx->output;
    if (!o || !o->input_memo_keys || input < 0 || input >= o->n_inputs)
        return 0;
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "input memo");
    lathe_key_builder_add_key(&kb, o->input_memo_keys[input]);
    lathe_key_builder_add_str(&kb, tag);
    *out = lathe_key_builder_finish(&kb);
    return 1;
}

size_t lathe_analyze_recall_input(lathe_analyze_ctx *ctx, int input, const char *tag, void *buf,
                                  size_t cap)
{
    lathe_key k;
    size_t len = 0;
    if (!input_memo(ctx, input, tag, &k)
        || lathe_cache_get_blob(ctx->output->cache, k, buf, cap, &len) != LATHE_OK)
        return 0;
    return len;
}

void lathe_analyze_remember_input(lathe_analyze_ctx *ctx, int input, const char *tag,
                                  const void *data, size_t n)
{
    lathe_key k;
    if (n <= LATHE_CACHE_BLOB_MAX && input_memo(ctx, input, tag, &k))
        lathe_cache_put_blob(ctx->output->cache, k, data, n);
}

/* ---- stream memos ------------------------------------------------------------------------- */

struct lathe_analyze_memo {
    lathe_cache_writer *w;
    lathe_cache_reader *r;
    int failed;
};

lathe_analyze_memo *lathe_analyze_memo_create(lathe_analyze_ctx *ctx, const char *tag,
                                              uint32_t channels)
{
    lathe_analyze_output *o = ctx->output;
    lathe_analyze_memo *m = o ? lathe_calloc(1, sizeof *m) : NULL;
    if (m && lathe_cache_writer_begin(o->cache, memo_key(o, tag), o->fmt.rate, channels,
                                      o->node_version, &m->w) != LATHE_OK) {
        lathe_dealloc(m);
        m = NULL;
    }
    return m;
}

int lathe_analyze_memo_append(lathe_analyze_memo *m, const float *const *v, uint32_t n)
{
    if (!m->failed && lathe_cache_writer_append(m->w, v, n) != LATHE_OK)
        m->failed = 1;
    return m->failed ? LATHE_ERR_IO : LATHE_OK;
}

void lathe_analyze_memo_finish(lathe_analyze_memo *m, int keep)
{
    if (!m)
        return;
    if (keep && !m->failed)
        lathe_cache_writer_commit(m->w); /* a memo that cannot be stored is recomputed later */
    else
        lathe_cache_writer_abort(m->w);
    lathe_dealloc(m);
}

lathe_analyze_memo *lathe_analyze_memo_open(lathe_analyze_ctx *ctx, const char *tag,
                                            uint32_t channels, uint64_t frames)
{
    lathe_analyze_output *o = ctx->output;
    lathe_analyze_memo *m = o ? lathe_calloc(1, sizeof *m) : NULL;
    if (!m)
        return NULL;
    if (lathe_cache_reader_open(o->cache, memo_key(o, tag), &m->r) == LATHE_OK) {
        const lathe_cache_format *f = lathe_cache_reader_format(m->r); /* the key has the version */
        if (f->channels == channels && f->frames == frames)
            return m;
        lathe_cache_reader_free(m->r);
    }
    lathe_dealloc(m);
    return NULL;
}

int lathe_analyze_memo_read(lathe_analyze_memo *m, float *const *v, uint32_t n)
{
    return lathe_cache_reader_read(m->r, v, n) == (long)n ? LATHE_OK : LATHE_ERR_IO;
}

int lathe_analyze_memo_seek(lathe_analyze_memo *m, uint64_t frame)
{
    return lathe_cache_reader_seek(m->r, frame) == LATHE_CACHE_OK ? LATHE_OK : LATHE_ERR_IO;
}

void lathe_analyze_memo_close(lathe_analyze_memo *m)
{
    if (!m)
        return;
    lathe_cache_reader_free(m->r);
    lathe_dealloc(m);
}

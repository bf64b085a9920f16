#include "analyze_output.h"

#include <string.h>

void lathe_analyze_output_init(lathe_analyze_output *o, lathe_cache *cache, lathe_key key,
                               const lathe_format *fmt, uint32_t node_version)
{
    memset(o, 0, sizeof *o);
    o->cache = cache;
    o->key = key;
    o->fmt = *fmt;
    o->node_version = node_version;
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
    if (lathe_cache_writer_begin(o->cache, o->key, o->fmt.rate, o->fmt.channels, o->node_version,
                                 &o->current) != LATHE_OK)
        o->current = NULL;
}

void lathe_analyze_output_write(lathe_analyze_ctx *ctx, const float *const *y, uint32_t n)
{
    lathe_analyze_output *o = ctx->output;
    if (!o || !o->current || o->failed)
        return;
    if (lathe_cache_writer_append(o->current, y, n) != LATHE_OK) {
        drop(&o->current);
        return;
    }
    o->current_frames += n;
}

void lathe_analyze_output_keep(lathe_analyze_ctx *ctx)
{
    lathe_analyze_output *o = ctx->output;
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
    int taken = 0;
    /* A failed analysis (a loudness budget exceeded) must not leave an output behind: the next
     * run would find it cached and skip the check that refused it. */
    if (analysis_ok && o->kept && o->kept_frames == o->fmt.frames)
        taken = lathe_cache_writer_commit(o->kept) == LATHE_OK;
    else
        drop(&o->kept);
    o->kept = NULL;
    return taken;
}

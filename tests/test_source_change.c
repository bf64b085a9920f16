/* A source rewritten in place while a cached render reads it (issue #22, cache poisoning): the
 * render fails, writes and caches nothing, and a later render of the original file gives exactly
 * what a render without any cache gives. The rewrite happens from the output tap at the first
 * block written, so the moment is the same every run. */
#define _GNU_SOURCE
#include "testutil.h"

#include "cache/cache.h"
#include "engine/params.h"
#include "lathe/lathe.h"
#include "nodes/registry.h"

#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RATE 48000
#define FRAMES (RATE * 4)

static char dir[512], src[600], original[600];

typedef struct tap_state {
    int rewrite;  /* rewrite the source at the first block */
    int done;
} tap_state;

/* Flips the sign of the file's last 64 KiB of samples, same size: a remaster over the old one. */
static void rewrite_in_place(void)
{
    FILE *f = fopen(src, "r+b");
    fseek(f, -65536, SEEK_END);
    unsigned char buf[65536];
    size_t n = fread(buf, 1, sizeof buf, f);
    for (size_t i = 3; i < n; i += 4)
        buf[i] ^= 0x80; /* the sign bit of each little-endian float */
    fseek(f, -65536, SEEK_END);
    fwrite(buf, 1, n, f);
    fclose(f);
}

static int tap_open(void *ud, int output, const lathe_format *fmt, void **state)
{
    (void)output, (void)fmt;
    *state = ud;
    return LATHE_OK;
}

static void tap_write(void *state, const float *const *ch, uint32_t n)
{
    tap_state *t = state;
    (void)ch, (void)n;
    if (t->rewrite && !t->done) {
        rewrite_in_place();
        t->done = 1;
    }
}

static void tap_close(void *ud, int output, void *state, int ok)
{
    (void)ud, (void)output, (void)state, (void)ok;
}

/* source -> gain -2 dB -> limit -> out; returns lathe_render's status. */
static int render(const char *out, int with_cache, int rewrite, char *err, size_t n)
{
    lathe_graph *g;
    lathe_graph_new(&g);
    lathe_node_id s, gnode, lnode;
    unsigned char gp[1024], lp[4096];
    const lathe_node_desc *gain = lathe_registry_find("gain"), *lim = lathe_registry_find("limit");
    lathe_params_defaults(gain->params, gp);
    lathe_param_set_number(lathe_params_find(gain->params, "gain_db"), gp, -2.0, err, n);
    lathe_params_defaults(lim->params, lp);
    lathe_graph_add_source(g, src, NULL, &s);
    lathe_graph_add_node(g, gain, gp, &s, 1, NULL, &gnode);
    lathe_graph_add_node(g, lim, lp, &gnode, 1, NULL, &lnode);
    lathe_output_config oc = {.bits = 24};
    lathe_graph_add_output(g, lnode, out, &oc, NULL);
    lathe_cache *cache = NULL;
    char cdir[600];
    snprintf(cdir, sizeof cdir, "%s/cache", dir);
    if (with_cache)
        lathe_cache_open(cdir, 0, &cache, err, n);
    tap_state t = {.rewrite = rewrite};
    lathe_output_tap tap = {.ud = &t, .open = tap_open, .write = tap_write, .close = tap_close};
    lathe_render_config cfg = lathe_render_config_default();
    cfg.cache = cache;
    cfg.tap = &tap;
    int rc = lathe_render(g, &cfg);
    snprintf(err, n, "%s", rc == LATHE_OK ? "" : lathe_graph_error(g));
    lathe_cache_free(cache);
    lathe_graph_free(g);
    return rc;
}

int main(void)
{
    tu_tmpdir(dir, sizeof dir);
    snprintf(src, sizeof src, "%s/mix.wav", dir);
    snprintf(original, sizeof original, "%s/mix.orig", dir);
    float *x = malloc(sizeof(float) * 2 * FRAMES);
    for (int i = 0; i < FRAMES; i++)
        x[2 * i] = x[2 * i + 1] = 0.8f * (float)sin(2 * M_PI * 220.0 * i / RATE);
    SF_INFO info = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(src, SFM_WRITE, &info);
    sf_writef_float(sf, x, FRAMES);
    sf_close(sf);
    free(x);
    tu_run("cp %s %s", src, original);

    char err[1024], out[700];
    snprintf(out, sizeof out, "%s/poisoned.wav", dir);
    int rc = render(out, 1, 1, err, sizeof err);
    CHECK(rc == LATHE_ERR_IO && strstr(err, "changed while it was being read"),
          "a source rewritten during the render fails it: %s", err);
    CHECK(access(out, F_OK) != 0, "and no output was written");

    tu_run("cp %s %s", original, src); /* the pristine file again, same bytes as first hashed */
    char cached[700], cold[700];
    snprintf(cached, sizeof cached, "%s/cached.wav", dir);
    snprintf(cold, sizeof cold, "%s/cold.wav", dir);
    CHECK(render(cached, 1, 0, err, sizeof err) == LATHE_OK, "render with the cache: %s", err);
    CHECK(render(cold, 0, 0, err, sizeof err) == LATHE_OK, "render without a cache: %s", err);
    CHECK(tu_run("cmp -s %s %s", cached, cold) == 0,
          "the cache serves nothing of the interrupted render: identical to a cold render");

    tu_run("rm -rf %s", dir);
    return tu_done();
}

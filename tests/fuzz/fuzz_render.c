/* Fuzz target: rendering, not only parsing. The input picks a rate, a channel count and a
 * generator, then up to six one-input nodes from the registry, every scalar parameter drawn from
 * the bytes within its table's range (lists and strings keep their defaults), and renders 0.2 s
 * through them into a WAV in the target's folder: the nodes' prepare, process and release on
 * parameter combinations no test chose, through the engine's real pass. Refusals (a format a node
 * does not take, a loudness target out of reach) are expected; crashes, sanitizer reports, leaks
 * and hangs are not. Input layout: byte 0 rate, 1 channels, 2 generator, 32 bytes of generator
 * parameters, then per node one byte for the node and 32 bytes of parameters (two per parameter
 * in table order); what runs out ends the chain. FUZZ_VERBOSE=1 prints what each input built
 * and how its render ended (to see what a seed reaches). */
#include "fuzz.h"

#include "engine/params.h"
#include "lathe/lathe.h"
#include "nodes/registry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct bytes {
    const uint8_t *p;
    size_t n;
} bytes;

static int take(bytes *b, unsigned *v, int width)
{
    if (b->n < (size_t)width)
        return 0;
    *v = width == 1 ? b->p[0] : (unsigned)(b->p[0] << 8 | b->p[1]);
    b->p += width;
    b->n -= (size_t)width;
    return 1;
}

/* Nodes the fuzzer leaves out: hosting plugins and reading reference files are other targets'
 * business, and several inputs need another chain. */
static int usable(const lathe_node_desc *d)
{
    return d->n_inputs == 1 && strcmp(d->name, "lv2") != 0 && strcmp(d->name, "match") != 0;
}

/* Sets the scalar parameters of table in params from the next PARAM_BYTES bytes, two per
 * parameter in table order (a fixed stride, so an input's node picks stay where they were
 * whatever each node's table holds). */
#define PARAM_BYTES 32
#define MAX_OUT_FRAMES (4 * 192000) /* 4 s at 192 kHz: a 6-node chain under ASan in seconds */
static void draw(const lathe_param *t, unsigned char *params, bytes *b)
{
    bytes slice = {b->p, b->n < PARAM_BYTES ? b->n : PARAM_BYTES};
    b->p += slice.n;
    b->n -= slice.n;
    for (; t->name; t++) {
        unsigned v;
        if (!take(&slice, &v, 2))
            return;
        double u = v / 65535.0;
        unsigned char *at = params + t->offset;
        if ((t->type == LATHE_P_NUMBER || t->type == LATHE_P_INT) && isfinite(t->min) &&
            isfinite(t->max)) {
            double x = t->min + (t->max - t->min) * u;
            if (t->type == LATHE_P_NUMBER)
                memcpy(at, &x, sizeof x);
            else {
                int i = (int)lround(x);
                memcpy(at, &i, sizeof i);
            }
        } else if (t->type == LATHE_P_BOOL) {
            int i = (int)(v & 1);
            memcpy(at, &i, sizeof i);
        } else if (t->type == LATHE_P_ENUM) {
            int count = 0;
            while (t->choices[count])
                count++;
            int i = count ? (int)(v % (unsigned)count) : 0;
            memcpy(at, &i, sizeof i);
        }
    }
}

/* A generator's format and length are the fuzzer's, whatever the bytes drew. */
static void set_number(const lathe_param *t, unsigned char *params, const char *name, double x)
{
    for (; t->name; t++) {
        if (strcmp(t->name, name) != 0)
            continue;
        if (t->type == LATHE_P_NUMBER)
            memcpy(params + t->offset, &x, sizeof x);
        else if (t->type == LATHE_P_INT) {
            int i = (int)x;
            memcpy(params + t->offset, &i, sizeof i);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint32_t rates[] = {8000, 22050, 44100, 48000, 96000, 192000};
    static const char *const generators[] = {"noise", "sine", "sweep", "silence"};
    const char *dir = lathe_fuzz_dir();
    bytes b = {data, size};
    unsigned rate_i, ch, gen;
    if (!dir || !take(&b, &rate_i, 1) || !take(&b, &ch, 1) || !take(&b, &gen, 1))
        return 0;
    int n_all = 0;
    const lathe_node_desc *const *all = lathe_registry_all(&n_all);
    const lathe_node_desc *g_desc = lathe_registry_find(generators[gen % 4]);
    lathe_graph *g;
    if (!g_desc || lathe_graph_new(&g) != LATHE_OK)
        return 0;
    static unsigned char params[1 << 16];
    memset(params, 0, sizeof params);
    lathe_params_defaults(g_desc->params, params);
    draw(g_desc->params, params, &b);
    set_number(g_desc->params, params, "rate", rates[rate_i % 6]);
    set_number(g_desc->params, params, "channels", 1 + ch % 2);
    set_number(g_desc->params, params, "duration_s", 0.2);
    int last;
    int ok = g_desc->params_size <= sizeof params &&
             lathe_graph_add_node(g, g_desc, params, NULL, 0, "fuzz", &last) == LATHE_OK;
    if (!ok && getenv("FUZZ_VERBOSE"))
        fprintf(stderr, "generator %s refused: %s\n", g_desc->name, lathe_graph_error(g));
    for (int k = 0; ok && k < 6; k++) {
        unsigned pick;
        if (!take(&b, &pick, 1))
            break;
        const lathe_node_desc *d = all[pick % (unsigned)n_all];
        if (!usable(d) || d->params_size > sizeof params)
            continue;
        memset(params, 0, sizeof params);
        lathe_params_defaults(d->params, params);
        draw(d->params, params, &b);
        int id;
        int added = lathe_graph_add_node(g, d, params, &last, 1, "fuzz", &id) == LATHE_OK;
        if (added)
            last = id; /* a refused parameter set leaves the chain as it was */
        if (getenv("FUZZ_VERBOSE"))
            fprintf(stderr, "%s %s\n", d->name, added ? "added" : lathe_graph_error(g));
    }
    char out[600];
    snprintf(out, sizeof out, "%s/fuzz.wav", dir);
    lathe_output_config oc = {.bits = 24};
    /* A chain may legitimately ask for an hour of output (pad's tail, a slow time base): the
     * fuzzer looks for faults, not long renders, so it stops at MAX_OUT_FRAMES. */
    lathe_format f;
    ok = ok && lathe_graph_node_format(g, last, &f) == LATHE_OK && f.frames <= MAX_OUT_FRAMES;
    if (ok && lathe_graph_add_output(g, last, out, &oc, "fuzz") == LATHE_OK) {
        lathe_render_config cfg = lathe_render_config_default();
        cfg.tmp_dir = dir;
        int rc = lathe_render(g, &cfg);
        if (getenv("FUZZ_VERBOSE")) /* what a seed reaches: the chain and how it ended */
            fprintf(stderr, "render %d: %s\n", rc, rc ? lathe_graph_error(g) : "ok");
        unlink(out);
    }
    lathe_graph_free(g);
    return 0;
}

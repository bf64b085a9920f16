/* lv2: an installed LV2 plugin as a node. The plugin runs in fixed blocks of LATHE_LV2_BLOCK
 * frames (its output then cannot depend on how the engine cuts the stream), which delays it by
 * one block; that block plus the latency the plugin reports on its latency port is the node's
 * latency, compensated by the engine like any native node's. Controls are set by port symbol
 * and checked against the plugin's own ranges. Before use, two fresh instances run the same
 * probe signal: if their outputs differ the plugin is not reproducible and is never cached. */
#include "lathe/lathe_node.h"
#include "lv2_world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define B LATHE_LV2_BLOCK
#define PROBE_BLOCKS 8

typedef struct lv2_params {
    char uri[LATHE_STR_MAX];
    lathe_named_number controls[64];
    int n_controls;
} lv2_params;

static const lathe_param lv2_table[] = {
    LATHE_STRING(lv2_params, uri, "", "the plugin's URI, as `lathe plugins` lists it (only plugins "
                                      "installed in LV2_PATH)"),
    LATHE_MAP(lv2_params, controls, "control ports by symbol, within the plugin's own ranges "
                                    "(`lathe help lv2:URI`); others keep their defaults"),
    LATHE_PARAM_END};

typedef struct lv2_state {
    lathe_lv2_plugin *plugin;
    lathe_lv2_instance *inst;
    float *in_blk[LATHE_MAX_CHANNELS], *out_blk[LATHE_MAX_CHANNELS];
    uint32_t n_in_ch, n_out_ch, fill;
    uint32_t plugin_latency;
    int ran, reproducible;
} lv2_state;

/* The plugin's control symbols, for "did you mean". */
static const char *suggest_control(const lathe_lv2_plugin *p, const char *name)
{
    const char *names[256];
    int n = 0;
    for (uint32_t i = 0; i < p->n_ports && n < 256; i++)
        if (p->ports[i].kind == LATHE_LV2_CONTROL_IN)
            names[n++] = p->ports[i].symbol;
    return lathe_suggest_name(name, names, n);
}

static int check_control(const lathe_lv2_plugin *p, const lathe_named_number *c, char *err, size_t n)
{
    const lathe_lv2_port *pt = lathe_lv2_find_control(p, c->name);
    if (!pt) {
        const char *s = suggest_control(p, c->name);
        if (s)
            snprintf(err, n, "%s has no control '%s' (did you mean '%s'?)", p->uri, c->name, s);
        else
            snprintf(err, n, "%s has no control '%s' (`lathe help lv2:%.200s` lists them)", p->uri,
                     c->name, p->uri);
        return LATHE_ERR_PARAM;
    }
    int bad_range = (!isnan(pt->min) && c->value < pt->min) || (!isnan(pt->max) && c->value > pt->max);
    if (bad_range || ((pt->toggled || pt->integer) && c->value != floor(c->value))) {
        snprintf(err, n, "controls.%s %g out of range [%g, %g]%s%s of %s (default %g)", c->name,
                 c->value, pt->min, pt->max, pt->unit[0] ? " " : "", pt->unit, p->uri, pt->def);
        if (!bad_range)
            snprintf(err, n, "controls.%s %g: %s takes a whole number in [%g, %g]", c->name, c->value,
                     p->uri, pt->min, pt->max);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

/* A fresh instance with the node's controls, audio on the state's blocks, activated. */
static int start_instance(lv2_state *s, const lv2_params *p, double rate, lathe_lv2_instance **out,
                          char *err, size_t n)
{
    lathe_lv2_instance *in;
    int rc = lathe_lv2_instance_new(s->plugin, rate, &in, err, n);
    if (rc != LATHE_OK)
        return rc;
    for (int k = 0; k < p->n_controls; k++)
        *lathe_lv2_instance_control(in, lathe_lv2_find_control(s->plugin, p->controls[k].name)->index) =
            (float)p->controls[k].value;
    uint32_t ai = 0, ao = 0;
    for (uint32_t i = 0; i < s->plugin->n_ports; i++) {
        if (s->plugin->ports[i].kind == LATHE_LV2_AUDIO_IN)
            lathe_lv2_instance_connect(in, i, s->in_blk[ai++]);
        else if (s->plugin->ports[i].kind == LATHE_LV2_AUDIO_OUT)
            lathe_lv2_instance_connect(in, i, s->out_blk[ao++]);
    }
    lathe_lv2_instance_activate(in);
    *out = in;
    return LATHE_OK;
}

/* Deterministic probe input: noise at -12 dBFS with a burst above full scale in its middle, so
 * dynamics (and any randomness in them) are exercised. */
static float probe_sample(uint64_t *x, uint32_t frame)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    float v = (float)((double)(*x >> 11) / 9007199254740992.0 * 2.0 - 1.0) * 0.25f;
    return frame >= 3 * B && frame < 5 * B ? v * 6.0f : v;
}

/* Runs the probe on a fresh instance; keeps its output in rec (or compares with it when
 * compare is set: returns 1 on a difference). Sets the plugin's reported latency. */
static int run_probe(lv2_state *s, const lv2_params *p, double rate, float *rec, int compare,
                     char *err, size_t n)
{
    lathe_lv2_instance *in;
    int rc = start_instance(s, p, rate, &in, err, n), differs = 0;
    if (rc != LATHE_OK)
        return rc;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint32_t blk = 0; blk < PROBE_BLOCKS; blk++) {
        for (uint32_t i = 0; i < B; i++)
            for (uint32_t c = 0; c < s->n_in_ch; c++)
                s->in_blk[c][i] = probe_sample(&x, blk * B + i);
        lathe_lv2_instance_run(in);
        for (uint32_t c = 0; c < s->n_out_ch; c++) {
            float *r = rec + ((size_t)c * PROBE_BLOCKS + blk) * B;
            if (compare)
                differs |= memcmp(r, s->out_blk[c], B * sizeof(float)) != 0;
            else
                memcpy(r, s->out_blk[c], B * sizeof(float));
        }
    }
    if (s->plugin->latency_port >= 0) {
        float l = *lathe_lv2_instance_control(in, (uint32_t)s->plugin->latency_port);
        s->plugin_latency = l > 0 && l < 10.0f * (float)rate ? (uint32_t)lrintf(l) : 0;
    }
    lathe_lv2_instance_free(in);
    return compare ? differs : LATHE_OK;
}

static int check_plugin(const lv2_state *s, const lathe_format *in, char *err, size_t n)
{
    const lathe_lv2_plugin *pl = s->plugin;
    if (pl->n_audio_in != (int)in->channels || pl->n_audio_out < 1
        || pl->n_audio_out > LATHE_MAX_CHANNELS) {
        snprintf(err, n, "%s has %d audio input%s and %d output%s; the stream has %u channel%s "
                         "(match them with channels{})", pl->uri, pl->n_audio_in,
                 pl->n_audio_in == 1 ? "" : "s", pl->n_audio_out, pl->n_audio_out == 1 ? "" : "s",
                 in->channels, in->channels == 1 ? "" : "s");
        return LATHE_ERR_FORMAT;
    }
    for (uint32_t i = 0; i < pl->n_ports; i++)
        if (pl->ports[i].kind == LATHE_LV2_OTHER && !pl->ports[i].optional) {
            snprintf(err, n, "%s: port '%s' is of a type lathe cannot connect (CV, MIDI)", pl->uri,
                     pl->ports[i].symbol);
            return LATHE_ERR_PARAM;
        }
    return LATHE_OK;
}

static int lv2_prepare(void *state, lathe_prepare_ctx *ctx)
{
    lv2_state *s = state;
    const lv2_params *p = ctx->params;
    char *err = ctx->err;
    size_t n = sizeof ctx->err;
    if (!p->uri[0]) {
        snprintf(err, n, "uri is required (`lathe plugins` lists the installed plugins)");
        return LATHE_ERR_PARAM;
    }
    int rc = lathe_lv2_plugin_get(p->uri, &s->plugin, err, n);
    if (rc == LATHE_OK)
        rc = check_plugin(s, &ctx->in[0], err, n);
    for (int k = 0; rc == LATHE_OK && k < p->n_controls; k++)
        rc = check_control(s->plugin, &p->controls[k], err, n);
    if (rc != LATHE_OK)
        return rc;
    s->n_in_ch = ctx->in[0].channels;
    s->n_out_ch = (uint32_t)s->plugin->n_audio_out;
    for (uint32_t c = 0; c < s->n_in_ch; c++)
        if (!(s->in_blk[c] = lathe_calloc(B, sizeof(float))))
            return LATHE_ERR_NOMEM;
    for (uint32_t c = 0; c < s->n_out_ch; c++)
        if (!(s->out_blk[c] = lathe_calloc(B, sizeof(float))))
            return LATHE_ERR_NOMEM;
    float *rec = lathe_calloc((size_t)s->n_out_ch * PROBE_BLOCKS * B, sizeof(float));
    if (!rec)
        return LATHE_ERR_NOMEM;
    double rate = ctx->in[0].rate;
    rc = run_probe(s, p, rate, rec, 0, err, n);
    int differs = rc == LATHE_OK ? run_probe(s, p, rate, rec, 1, err, n) : rc;
    lathe_dealloc(rec);
    if (differs < 0)
        return differs;
    s->reproducible = !differs;
    ctx->not_reproducible = differs;
    for (uint32_t c = 0; c < s->n_out_ch; c++)
        memset(s->out_blk[c], 0, B * sizeof(float));
    if ((rc = start_instance(s, p, rate, &s->inst, err, n)) != LATHE_OK)
        return rc;
    ctx->out.channels = s->n_out_ch;
    ctx->latency = B + s->plugin_latency;
    snprintf(ctx->identity, sizeof ctx->identity, "v%d.%d binary %016llx block %d",
             s->plugin->minor, s->plugin->micro, (unsigned long long)s->plugin->library_hash, B);
    return LATHE_OK;
}

static void lv2_reset(void *state)
{
    lv2_state *s = state;
    s->fill = 0;
    for (uint32_t c = 0; c < s->n_out_ch; c++)
        memset(s->out_blk[c], 0, B * sizeof(float));
    if (s->ran) { /* LV2: activation puts the instance back in its initial state */
        lathe_lv2_instance_restart(s->inst);
        s->ran = 0;
    }
}

/* [rt] Input goes into the plugin's block while the previous block's output comes out: one
 * block of delay, whatever the engine's block sizes. */
static void lv2_process(void *state, lathe_block *b)
{
    lv2_state *s = state;
    for (uint32_t pos = 0; pos < b->n_in;) {
        uint32_t take = B - s->fill < b->n_in - pos ? B - s->fill : b->n_in - pos;
        for (uint32_t c = 0; c < s->n_in_ch; c++)
            memcpy(s->in_blk[c] + s->fill, b->in[0][c] + pos, take * sizeof(float));
        for (uint32_t c = 0; c < s->n_out_ch; c++)
            memcpy(b->out[c] + pos, s->out_blk[c] + s->fill, take * sizeof(float));
        s->fill += take;
        pos += take;
        if (s->fill == B) {
            lathe_lv2_instance_run(s->inst);
            s->ran = 1;
            s->fill = 0;
        }
    }
}

static void lv2_release(void *state)
{
    lv2_state *s = state;
    lathe_lv2_instance_free(s->inst);
    lathe_lv2_plugin_free(s->plugin);
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++) {
        lathe_dealloc(s->in_blk[c]);
        lathe_dealloc(s->out_blk[c]);
    }
}

static void lv2_report(void *state, lathe_report *r)
{
    const lv2_state *s = state;
    lathe_report_string(r, "plugin", s->plugin->uri);
    lathe_report_number(r, "plugin_latency_frames", s->plugin_latency);
    lathe_report_string(r, "reproducible", s->reproducible ? "yes" : "no (never cached)");
}

const lathe_node_desc lathe_node_lv2 = {
    .name = "lv2",
    .summary = "an installed LV2 plugin (lathe plugins lists them), cached like a native node",
    .version = 1,
    .n_inputs = 1,
    .params_size = sizeof(lv2_params),
    .params = lv2_table,
    .state_size = sizeof(lv2_state),
    .flags = LATHE_NODE_FOREIGN,
    .prepare = lv2_prepare,
    .reset = lv2_reset,
    .process = lv2_process,
    .release = lv2_release,
    .report = lv2_report,
};

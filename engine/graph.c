/* Building a graph, its messages, its DOT picture and its results. */
#define _POSIX_C_SOURCE 200809L
#include "graph_int.h"

#include "audio_io.h"
#include "md5.h"
#include "params.h"
#include "safe_file.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>
#include <unistd.h>

int lathe_graph_new(lathe_graph **out)
{
    lathe_graph *g = lathe_calloc(1, sizeof *g);
    if (!g)
        return LATHE_ERR_NOMEM;
    *out = g;
    return LATHE_OK;
}

void lathe_graph_free(lathe_graph *g)
{
    if (!g)
        return;
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        lathe_dealloc(n->params);
        lathe_dealloc(n->path);
        lathe_dealloc(n->origin);
        lathe_dealloc(n->inputs);
        lathe_dealloc(n->report);
        lathe_dealloc(n->energy);
    }
    for (int i = 0; i < g->n_sinks; i++) {
        graph_sink *s = &g->sinks[i];
        lathe_dealloc(s->path);
        lathe_dealloc(s->format);
        lathe_dealloc(s->deliverable);
        lathe_dealloc(s->md5);
        lathe_dealloc(s->copied_from);
        for (int t = 0; s->tags && s->tags[t]; t++)
            lathe_dealloc(s->tags[t]);
        lathe_dealloc(s->tags);
    }
    for (int i = 0; i < g->n_texts; i++) {
        lathe_dealloc(g->texts[i].path);
        lathe_dealloc(g->texts[i].text);
    }
    lathe_dealloc(g->texts);
    lathe_dealloc(g->name);
    lathe_dealloc(g->nodes);
    lathe_dealloc(g->sinks);
    lathe_dealloc(g);
}

int lathe_graph_set_name(lathe_graph *g, const char *name)
{
    char *n = lathe_strdup(name);
    if (!n)
        return LATHE_ERR_NOMEM;
    lathe_dealloc(g->name);
    g->name = n;
    return LATHE_OK;
}

const char *lathe_graph_error(const lathe_graph *g)
{
    return g->err;
}

const char *lathe_graph_node_type(const lathe_graph *g, int node)
{
    const graph_node *n = &g->nodes[node];
    return n->kind == NODE_SOURCE ? "source" : n->desc->name;
}

int lathe_graph_fail(lathe_graph *g, int node, int rc, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (node < 0) {
        snprintf(g->err, sizeof g->err, "%s", msg);
        return rc;
    }
    const graph_node *n = &g->nodes[node];
    if (n->origin)
        snprintf(g->err, sizeof g->err, "%s: %s: %s", n->origin, lathe_graph_node_type(g, node), msg);
    else
        snprintf(g->err, sizeof g->err, "%s: %s", lathe_graph_node_type(g, node), msg);
    return rc;
}

/* Room for one more element in a zeroed array of n used (the allocator hook has no realloc):
 * the array itself, or a copy twice as large (from `first`) with the old one freed; NULL when
 * out of memory, the array then unchanged. */
static void *grow(void *arr, int n, int *cap, int first, size_t size)
{
    if (n < *cap)
        return arr;
    int c = *cap ? *cap * 2 : first;
    void *t = lathe_calloc((size_t)c, size);
    if (!t)
        return NULL;
    if (arr)
        memcpy(t, arr, size * (size_t)n);
    lathe_dealloc(arr);
    *cap = c;
    return t;
}

static int add_node(lathe_graph *g, graph_node **out)
{
    void *nodes = grow(g->nodes, g->n_nodes, &g->cap_nodes, 16, sizeof *g->nodes);
    if (!nodes)
        return LATHE_ERR_NOMEM;
    g->nodes = nodes;
    *out = &g->nodes[g->n_nodes];
    memset(*out, 0, sizeof **out);
    (*out)->alias = -1;
    return LATHE_OK;
}

int lathe_graph_add_source(lathe_graph *g, const char *path, const char *origin,
                           lathe_node_id *out)
{
    graph_node *n;
    if (add_node(g, &n) != LATHE_OK)
        return LATHE_ERR_NOMEM;
    n->kind = NODE_SOURCE;
    n->path = lathe_strdup(path);
    n->origin = origin ? lathe_strdup(origin) : NULL;
    if (!n->path || (origin && !n->origin)) {
        lathe_dealloc(n->path);
        lathe_dealloc(n->origin);
        return LATHE_ERR_NOMEM;
    }
    *out = g->n_nodes++;
    g->planned = 0;
    return LATHE_OK;
}

int lathe_graph_add_node(lathe_graph *g, const lathe_node_desc *desc, const void *params,
                         const lathe_node_id *inputs, int n_inputs, const char *origin,
                         lathe_node_id *out)
{
    if (desc->n_inputs != LATHE_VARIADIC && n_inputs != desc->n_inputs)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%s%s: takes %d input%s, got %d",
                                origin ? origin : "", origin ? ": " : "", desc->name,
                                desc->n_inputs, desc->n_inputs == 1 ? "" : "s", n_inputs);
    if (desc->n_inputs == LATHE_VARIADIC && (n_inputs < 1 || n_inputs > LATHE_MAX_INPUTS))
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%s%s: takes 1 to %d inputs, got %d",
                                origin ? origin : "", origin ? ": " : "", desc->name, LATHE_MAX_INPUTS, n_inputs);
    for (int i = 0; i < n_inputs; i++)
        if (inputs[i] < 0 || inputs[i] >= g->n_nodes)
            return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s: input %d is not a node", desc->name, i + 1);
    char why[LATHE_ERR_MAX];
    if (lathe_params_validate(desc->params, params, why, sizeof why) != LATHE_OK)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%s%s: %s", origin ? origin : "",
                                origin ? ": " : "", desc->name, why);
    graph_node *n;
    if (add_node(g, &n) != LATHE_OK)
        return LATHE_ERR_NOMEM;
    n->kind = NODE_DSP;
    n->desc = desc;
    n->params = lathe_alloc(desc->params_size ? desc->params_size : 1);
    n->inputs = lathe_alloc(sizeof(int) * (size_t)(n_inputs ? n_inputs : 1));
    n->origin = origin ? lathe_strdup(origin) : NULL;
    if (!n->params || !n->inputs || (origin && !n->origin)) {
        lathe_dealloc(n->params);
        lathe_dealloc(n->inputs);
        lathe_dealloc(n->origin);
        return LATHE_ERR_NOMEM;
    }
    if (desc->params_size) /* a node without parameters may be given NULL */
        memcpy(n->params, params, desc->params_size);
    if (n_inputs)
        memcpy(n->inputs, inputs, sizeof(int) * (size_t)n_inputs);
    n->n_inputs = n_inputs;
    *out = g->n_nodes++;
    g->planned = 0;
    return LATHE_OK;
}

static char **copy_tags(const char *const *tags)
{
    int n = 0;
    while (tags && tags[n])
        n++;
    char **t = lathe_calloc((size_t)n + 1, sizeof *t);
    for (int i = 0; t && i < n; i++)
        if (!(t[i] = lathe_strdup(tags[i])))
            return t; /* truncated list: the caller checks */
    return t;
}

static int path_taken(const lathe_graph *g, const char *path)
{
    for (int i = 0; i < g->n_sinks; i++)
        if (strcmp(g->sinks[i].path, path) == 0
            || (g->sinks[i].md5 && strcmp(g->sinks[i].md5, path) == 0))
            return 1;
    for (int i = 0; i < g->n_texts; i++)
        if (strcmp(g->texts[i].path, path) == 0)
            return 1;
    return 0;
}

int lathe_graph_add_text_output(lathe_graph *g, const char *path, const char *text, size_t len,
                                const char *origin)
{
    if (path_taken(g, path))
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%soutput_text: two outputs write %s",
                                origin ? origin : "", origin ? ": " : "", path);
    void *texts = grow(g->texts, g->n_texts, &g->cap_texts, 4, sizeof *g->texts);
    if (!texts)
        return LATHE_ERR_NOMEM;
    g->texts = texts;
    graph_text *t = &g->texts[g->n_texts];
    t->path = lathe_strdup(path);
    t->text = lathe_alloc(len + 1);
    if (!t->path || !t->text) {
        lathe_dealloc(t->path);
        lathe_dealloc(t->text);
        return LATHE_ERR_NOMEM;
    }
    memcpy(t->text, text, len);
    t->text[len] = 0;
    t->len = len;
    g->n_texts++;
    return LATHE_OK;
}

int lathe_graph_write_texts(lathe_graph *g)
{
    for (int i = 0; i < g->n_texts; i++) {
        const graph_text *t = &g->texts[i];
        char err[LATHE_ERR_MAX];
        lathe_safe_file sf;
        if (lathe_safe_open(&sf, NULL, t->path, err, sizeof err) != 0)
            return lathe_graph_fail(g, -1, LATHE_ERR_IO, "%s", err);
        FILE *f = lathe_safe_stream(&sf);
        int ok = f && fwrite(t->text, 1, t->len, f) == t->len;
        ok = f && fclose(f) == 0 && ok;
        if (!ok || lathe_safe_commit(&sf) != 0) {
            lathe_safe_abandon(&sf);
            return lathe_graph_fail(g, -1, LATHE_ERR_IO, "%s: cannot write", t->path);
        }
    }
    return LATHE_OK;
}

/* A checksum file lists every output that names it, in the script's order, each read back from
 * its final file (outputs left alone as up to date included). While one of them is still to be
 * written (by a later pass) the file waits for it. */
int lathe_graph_write_sums(const lathe_graph *g, const char *sum_path, char *err, size_t err_size)
{
    const char **files = lathe_calloc((size_t)g->n_sinks, sizeof *files);
    if (!files) {
        snprintf(err, err_size, "%s: out of memory", sum_path);
        return -1;
    }
    int n = 0, ready = 1;
    for (int i = 0; i < g->n_sinks; i++)
        if (g->sinks[i].md5 && strcmp(g->sinks[i].md5, sum_path) == 0) {
            files[n++] = g->sinks[i].path;
            ready &= access(g->sinks[i].path, F_OK) == 0;
        }
    int rc = ready ? lathe_md5_write_sums(sum_path, files, n, err, err_size) : 0;
    lathe_dealloc(files);
    return rc;
}

/* What the file format can store is known before anything renders: bits, bitrate, rate. */
static int check_output(lathe_graph *g, lathe_node_id node, const char *path,
                        const lathe_output_config *cfg, const char *origin)
{
    const char *at = origin ? origin : "", *sep = origin ? ": " : "";
    lathe_audio_writer_config w = {
        .container = lathe_audio_format_from_path(cfg && cfg->format ? cfg->format : path),
        .bits = cfg && cfg->bits ? cfg->bits : 24, .bitrate_kbps = cfg ? cfg->bitrate_kbps : 0};
    int lossy = lathe_audio_format_is_lossy(w.container);
    if (w.container == LATHE_FMT_AUTO)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%soutput %s: unknown format (use .wav, "
                                ".flac, .aiff, .mp3, .opus or .ogg)", at, sep, path);
    if (lossy && cfg && cfg->bits)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%soutput %s: bits does not apply to a "
                                "lossy format (set bitrate_kbps)", at, sep, path);
    if (!lossy && cfg && cfg->bitrate_kbps)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%soutput %s: bitrate_kbps applies only "
                                "to mp3, opus and ogg", at, sep, path);
    lathe_format fmt;
    /* A source that cannot be read yet is the render's to report (exit 3); the writer checks
     * the rate again when it opens. */
    if (lathe_graph_node_format(g, node, &fmt) != LATHE_OK)
        return LATHE_OK;
    w.rate = fmt.rate;
    w.channels = fmt.channels;
    w.frames = fmt.frames;
    char why[200];
    int rc = lathe_audio_writer_check(&w, why, sizeof why);
    return rc == LATHE_OK ? rc : lathe_graph_fail(g, -1, rc, "%s%soutput %s: %s", at, sep, path, why);
}

int lathe_graph_add_output(lathe_graph *g, lathe_node_id node, const char *path,
                           const lathe_output_config *cfg, const char *origin)
{
    if (node < 0 || node >= g->n_nodes)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "%s%soutput: not a node",
                                origin ? origin : "", origin ? ": " : "");
    if (path_taken(g, path))
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM,
                                "%s%soutput: two outputs write %s", origin ? origin : "",
                                origin ? ": " : "", path);
    /* A checksum file may collect several outputs' lines, but never replace a file. */
    const char *md5 = cfg ? cfg->md5 : NULL;
    int md5_clash = 0;
    for (int i = 0; md5 && i < g->n_sinks; i++)
        md5_clash |= strcmp(g->sinks[i].path, md5) == 0;
    for (int i = 0; md5 && i < g->n_texts; i++)
        md5_clash |= strcmp(g->texts[i].path, md5) == 0;
    if (md5 && (md5_clash || strcmp(md5, path) == 0))
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM,
                                "%s%soutput %s: md5 = %s would overwrite an output", origin ? origin : "",
                                origin ? ": " : "", path, md5);
    int rc = check_output(g, node, path, cfg, origin);
    if (rc != LATHE_OK)
        return rc;
    void *sinks = grow(g->sinks, g->n_sinks, &g->cap_sinks, 8, sizeof *g->sinks);
    if (!sinks)
        return LATHE_ERR_NOMEM;
    g->sinks = sinks;
    graph_sink *s = &g->sinks[g->n_sinks];
    memset(s, 0, sizeof *s);
    s->node = node;
    int lossy = lathe_audio_format_is_lossy(lathe_audio_format_from_path(
        cfg && cfg->format ? cfg->format : path));
    s->bits = lossy ? 0 : cfg && cfg->bits ? cfg->bits : 24;
    s->bitrate_kbps = lossy && cfg ? cfg->bitrate_kbps : 0;
    s->path = lathe_strdup(path);
    s->format = cfg && cfg->format ? lathe_strdup(cfg->format) : NULL;
    s->deliverable = cfg && cfg->deliverable ? lathe_strdup(cfg->deliverable) : NULL;
    s->tags = copy_tags(cfg ? cfg->tags : NULL);
    s->md5 = cfg && cfg->md5 ? lathe_strdup(cfg->md5) : NULL;
    if (!s->path || !s->tags || (cfg && cfg->md5 && !s->md5)) {
        lathe_dealloc(s->md5);
        lathe_dealloc(s->path);
        lathe_dealloc(s->format);
        lathe_dealloc(s->deliverable);
        lathe_dealloc(s->tags);
        return LATHE_ERR_NOMEM;
    }
    g->n_sinks++;
    return LATHE_OK;
}

int lathe_graph_node_count(const lathe_graph *g)
{
    return g->n_nodes;
}

const char *lathe_graph_node_name(const lathe_graph *g, lathe_node_id id)
{
    return lathe_graph_node_type(g, id);
}

double lathe_graph_node_number(const lathe_graph *g, lathe_node_id id, const char *param)
{
    if (id < 0 || id >= g->n_nodes || !g->nodes[id].desc || !g->nodes[id].params)
        return NAN;
    const lathe_param *p = lathe_params_find(g->nodes[id].desc->params, param);
    if (!p || p->type != LATHE_P_NUMBER)
        return NAN;
    return *(const double *)((const char *)g->nodes[id].params + p->offset);
}

const char *lathe_graph_node_label(const lathe_graph *g, lathe_node_id id)
{
    const graph_node *n = &g->nodes[id];
    return n->origin ? n->origin : "";
}

int lathe_graph_node_ran(const lathe_graph *g, lathe_node_id id)
{
    return g->nodes[id].ran;
}

const char *lathe_graph_node_why(const lathe_graph *g, lathe_node_id id)
{
    return g->nodes[id].why;
}

const char *lathe_graph_node_report(const lathe_graph *g, lathe_node_id id)
{
    return g->nodes[id].report ? g->nodes[id].report : "";
}

double lathe_graph_node_time(const lathe_graph *g, lathe_node_id id)
{
    return g->nodes[id].time_s;
}

const char *lathe_graph_node_source_path(const lathe_graph *g, lathe_node_id id)
{
    return g->nodes[id].kind == NODE_SOURCE ? g->nodes[id].path : NULL;
}

int lathe_graph_node_inputs(const lathe_graph *g, lathe_node_id id, const lathe_node_id **inputs)
{
    *inputs = g->nodes[id].inputs;
    return g->nodes[id].n_inputs;
}

lathe_node_id lathe_graph_output_node(const lathe_graph *g, int i)
{
    return g->sinks[i].node;
}

const float *lathe_graph_node_energy(const lathe_graph *g, lathe_node_id id, size_t *n)
{
    *n = g->nodes[id].n_energy;
    return g->nodes[id].energy;
}

int lathe_graph_output_count(const lathe_graph *g)
{
    return g->n_sinks;
}

const lathe_output_result *lathe_graph_output_result(const lathe_graph *g, int i)
{
    return &g->sinks[i].result;
}

const char *lathe_graph_output_deliverable(const lathe_graph *g, int i)
{
    return g->sinks[i].deliverable;
}

const lathe_run_stats *lathe_graph_run_stats(const lathe_graph *g)
{
    return &g->stats;
}

static void dot_escape(FILE *f, const char *s)
{
    for (; *s; s++)
        fprintf(f, *s == '"' || *s == '\\' ? "\\%c" : "%c", *s);
}

int lathe_graph_write_dot(const lathe_graph *g, FILE *f)
{
    fprintf(f, "digraph lathe {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n");
    for (int i = 0; i < g->n_nodes; i++) {
        const graph_node *n = &g->nodes[i];
        char summary[256] = "";
        fprintf(f, "  n%d [label=\"", i);
        if (n->kind == NODE_SOURCE) {
            fprintf(f, "source\\n");
            dot_escape(f, n->path);
        } else {
            lathe_params_summary(n->desc->params, n->params, summary, sizeof summary);
            dot_escape(f, n->desc->name);
            if (summary[0]) {
                fprintf(f, "\\n");
                dot_escape(f, summary);
            }
        }
        fprintf(f, "\"%s];\n", n->kind == NODE_SOURCE ? ", shape=ellipse" : "");
        for (int k = 0; k < n->n_inputs; k++)
            fprintf(f, "  n%d -> n%d;\n", n->inputs[k], i);
    }
    for (int i = 0; i < g->n_sinks; i++) {
        fprintf(f, "  o%d [shape=note, label=\"", i);
        dot_escape(f, g->sinks[i].path);
        fprintf(f, "\"];\n  n%d -> o%d;\n", g->sinks[i].node, i);
    }
    fprintf(f, "}\n");
    return ferror(f) ? LATHE_ERR_IO : LATHE_OK;
}

/* Planning: before any audio moves, every node's output format, latency and cache key are
 * known, and every parameter error has been reported. Nodes are stored in creation order and a
 * node's inputs must exist when it is made, so index order is a topological order and the graph
 * cannot hold a cycle. */
#define _POSIX_C_SOURCE 200809L
#include "graph_int.h"

#include "audio_io.h"
#include "params.h"

#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int lathe_plan_resolve(const lathe_graph *g, int node)
{
    while (g->nodes[node].alias >= 0)
        node = g->nodes[node].alias;
    return node;
}

void lathe_plan_source_id(const char *path, uint64_t id[5])
{
    struct stat st;
    memset(id, 0, 5 * sizeof *id);
    if (stat(path, &st) != 0)
        return;
    id[0] = (uint64_t)st.st_dev;
    id[1] = (uint64_t)st.st_ino;
    id[2] = (uint64_t)st.st_size;
    id[3] = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    id[4] = (uint64_t)st.st_ctim.tv_sec * 1000000000u + (uint64_t)st.st_ctim.tv_nsec;
}

static int plan_source(lathe_graph *g, int i, lathe_cache *cache, int with_key)
{
    graph_node *n = &g->nodes[i];
    lathe_audio_reader *r;
    lathe_audio_info info;
    char err[LATHE_ERR_MAX + 64];
    int rc = lathe_audio_reader_open(n->path, &r, &info, err, sizeof err);
    if (rc != LATHE_OK)
        return lathe_graph_fail(g, -1, rc, "%s%s%s", n->origin ? n->origin : "",
                                n->origin ? ": " : "", err);
    lathe_audio_reader_free(r);
    n->fmt = info.format;
    if (!with_key)
        return LATHE_OK;
    lathe_key file_key;
    uint64_t before[5];
    lathe_plan_source_id(n->path, before);
    rc = cache ? lathe_cache_file_key(cache, n->path, &file_key)
               : lathe_key_file(n->path, &file_key, NULL);
    if (rc != LATHE_OK)
        return lathe_graph_fail(g, i, LATHE_ERR_IO, "%s: cannot read", n->path);
    lathe_plan_source_id(n->path, n->src_id);
    if (memcmp(before, n->src_id, sizeof before) != 0)
        return lathe_graph_fail(g, i, LATHE_ERR_IO, "%s: changed while it was being read", n->path);
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "source");
    lathe_key_builder_add_key(&kb, file_key);
    lathe_key_builder_add_str(&kb, "float32-planar-unclipped"); /* decode settings */
    n->key = lathe_key_builder_finish(&kb);
    return LATHE_OK;
}

/* A key no later run can produce: for output that differs from run to run. */
static void add_run_nonce(lathe_key_builder *kb)
{
    static uint64_t counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lathe_key_builder_add_str(kb, "not-reproducible");
    lathe_key_builder_add_u64(kb, (uint64_t)getpid());
    lathe_key_builder_add_u64(kb, (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec);
    lathe_key_builder_add_u64(kb, __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
}

static int plan_dsp(lathe_graph *g, int i)
{
    graph_node *n = &g->nodes[i];
    lathe_format in[LATHE_MAX_INPUTS];
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, n->desc->name);
    lathe_key_builder_add_u32(&kb, n->desc->version);
    lathe_params_hash(n->desc->params, n->params, &kb);
    n->unrepeatable = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        const graph_node *src = &g->nodes[lathe_plan_resolve(g, n->inputs[k])];
        in[k] = src->fmt;
        n->unrepeatable |= src->unrepeatable;
        lathe_key_builder_add_key(&kb, src->key);
        lathe_key_builder_add_u32(&kb, src->fmt.rate);
        lathe_key_builder_add_u32(&kb, src->fmt.channels);
        lathe_key_builder_add_u64(&kb, src->fmt.frames);
    }

    lathe_runner r;
    int rc = lathe_runner_prepare(&r, n->desc, n->params, in, n->n_inputs, 4096, 0, NULL, 0, NULL);
    if (rc == LATHE_OK) {
        n->fmt = r.ctx.out;
        n->latency = r.ctx.latency;
        snprintf(n->identity, sizeof n->identity, "%s", r.ctx.identity);
        n->unrepeatable |= r.ctx.not_reproducible ? 2 : 0;
    } else {
        lathe_graph_fail(g, i, rc, "%s", r.ctx.err[0] ? r.ctx.err : lathe_status_text(rc));
    }
    lathe_runner_release(&r);
    if (rc != LATHE_OK)
        return rc;
    lathe_key_builder_add_str(&kb, n->identity);
    if (n->unrepeatable & 2)
        add_run_nonce(&kb);
    n->key = lathe_key_builder_finish(&kb);
    if (n->fmt.frames == 0)
        return lathe_graph_fail(g, i, LATHE_ERR_PARAM, "produces no audio (0 frames)");
    /* A node that leaves its (first) input unchanged is that input: same key, nothing to run. */
    if (n->n_inputs >= 1 && n->desc->is_identity && n->desc->is_identity(n->params, &in[0])
        && n->fmt.rate == in[0].rate && n->fmt.channels == in[0].channels
        && n->fmt.frames == in[0].frames && n->latency == 0) {
        n->alias = n->inputs[0];
        n->key = g->nodes[lathe_plan_resolve(g, n->inputs[0])].key;
    }
    return LATHE_OK;
}

int lathe_plan(lathe_graph *g, lathe_cache *cache)
{
    if (g->n_sinks == 0)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM,
                                "the script makes no output: call output(node, \"file.wav\")");
    for (int i = 0; i < g->n_nodes; i++) {
        graph_node *n = &g->nodes[i];
        n->alias = -1;
        n->n_consumers = 0;
        int rc = n->kind == NODE_SOURCE ? plan_source(g, i, cache, 1) : plan_dsp(g, i);
        if (rc != LATHE_OK)
            return rc;
    }
    for (int i = 0; i < g->n_nodes; i++)
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].alias < 0)
                g->nodes[lathe_plan_resolve(g, g->nodes[i].inputs[k])].n_consumers++;
    for (int s = 0; s < g->n_sinks; s++) {
        graph_sink *sk = &g->sinks[s];
        int src = lathe_plan_resolve(g, sk->node);
        g->nodes[src].n_consumers++;
        lathe_key_builder kb;
        lathe_key_builder_init(&kb);
        lathe_key_builder_add_str(&kb, "output");
        lathe_key_builder_add_key(&kb, g->nodes[src].key);
        lathe_key_builder_add_u32(&kb, (uint32_t)sk->bits);
        lathe_key_builder_add_u32(&kb, (uint32_t)sk->bitrate_kbps);
        lathe_key_builder_add_str(&kb, sk->format);
        for (int t = 0; sk->tags[t]; t++)
            lathe_key_builder_add_str(&kb, sk->tags[t]);
        if (sk->md5) /* a new checksum file needs the output written again */
            lathe_key_builder_add_str(&kb, sk->md5);
        sk->key = lathe_key_builder_finish(&kb);
    }
    g->planned = 1;
    return LATHE_OK;
}

int lathe_graph_node_format(lathe_graph *g, lathe_node_id id, lathe_format *out)
{
    /* Nodes never change once made, so formats planned for earlier queries stay valid; keys
     * are not needed here (the full plan computes them). */
    if (id < 0 || id >= g->n_nodes)
        return lathe_graph_fail(g, -1, LATHE_ERR_PARAM, "format: not a node");
    for (int i = g->n_format_planned; i <= id; i++) {
        graph_node *n = &g->nodes[i];
        n->alias = -1;
        int rc = n->kind == NODE_SOURCE ? plan_source(g, i, NULL, 0) : plan_dsp(g, i);
        if (rc != LATHE_OK)
            return rc;
        g->n_format_planned = i + 1;
    }
    *out = g->nodes[id].fmt;
    return LATHE_OK;
}

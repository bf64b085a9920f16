/* Why a node runs. After a successful render each node's parameters and input keys are
 * remembered (a cache note, replaced by every run) under its identity (the script's file name
 * and line that made it, its type); the next run compares and names what changed:
 * "gain_db -3 -> -2", "input 1 changed", "new node". The identity leaves the script's folder out,
 * so a script copied for a new version (v2/master.lua) keeps its history. */
#include "explain.h"

#include "params.h"

#include <stdio.h>
#include <string.h>

#define RECORD_MAX 16384

static const char *base(const char *path)
{
    const char *slash = path ? strrchr(path, '/') : NULL;
    return slash ? slash + 1 : path;
}

static lathe_key identity(const lathe_graph *g, int i)
{
    const graph_node *n = &g->nodes[i];
    int occurrence = 0; /* nodes made on the same line (a loop) are told apart by order */
    for (int k = 0; k < i; k++)
        if (g->nodes[k].kind == n->kind && g->nodes[k].desc == n->desc && n->origin
            && g->nodes[k].origin && strcmp(g->nodes[k].origin, n->origin) == 0)
            occurrence++;
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "node-identity");
    lathe_key_builder_add_str(&kb, base(g->name));
    lathe_key_builder_add_str(&kb, base(n->origin)); /* "v2/master.lua:9" -> "master.lua:9" */
    lathe_key_builder_add_str(&kb, lathe_graph_node_type(g, i));
    lathe_key_builder_add_u32(&kb, (uint32_t)occurrence);
    return lathe_key_builder_finish(&kb);
}

/* "name=value" lines: the parameters, then one line per input key. */
static void describe(const lathe_graph *g, int i, char *buf, size_t size)
{
    const graph_node *n = &g->nodes[i];
    buf[0] = 0;
    if (n->kind == NODE_SOURCE)
        snprintf(buf, size, "file=%s\n", n->path);
    else
        lathe_params_dump(n->desc->params, n->params, "", buf, size);
    if (n->identity[0]) { /* a hosted plugin's version and binary */
        size_t len = strlen(buf);
        snprintf(buf + len, size - len, "plugin=%s\n", n->identity);
    }
    for (int k = 0; k < n->n_inputs; k++) {
        char hex[33];
        size_t len = strlen(buf);
        lathe_key_to_hex(g->nodes[lathe_plan_resolve(g, n->inputs[k])].key, hex);
        snprintf(buf + len, size - len, "input %d=%s\n", k + 1, hex);
    }
    if (n->kind == NODE_SOURCE) {
        char hex[33];
        size_t len = strlen(buf);
        lathe_key_to_hex(n->key, hex);
        snprintf(buf + len, size - len, "content=%s\n", hex);
    }
}

void lathe_explain_record(lathe_graph *g, lathe_cache *cache)
{
    char buf[RECORD_MAX];
    for (int i = 0; g->name && i < g->n_nodes; i++) {
        describe(g, i, buf, sizeof buf);
        lathe_cache_put_note(cache, identity(g, i), buf, strlen(buf));
    }
}

/* Finds line `key=...` of text; returns its value's length (0 if absent) and start. */
static size_t value_of(const char *text, const char *key, size_t key_len, const char **val)
{
    for (const char *l = text; *l;) {
        const char *eq = strchr(l, '='), *nl = strchr(l, '\n');
        if (!nl)
            nl = l + strlen(l);
        if (eq && eq < nl && (size_t)(eq - l) == key_len && strncmp(l, key, key_len) == 0) {
            *val = eq + 1;
            return (size_t)(nl - eq - 1);
        }
        l = *nl ? nl + 1 : nl;
    }
    return 0;
}

void lathe_explain_why(const lathe_graph *g, lathe_cache *cache, int i, char *why, size_t size)
{
    char now[RECORD_MAX], before[RECORD_MAX];
    size_t len = 0;
    if (!g->name || lathe_cache_get_note(cache, identity(g, i), before, sizeof before - 1, &len) != LATHE_OK) {
        snprintf(why, size, "not in the cache (no earlier run of this node)");
        return;
    }
    before[len] = 0;
    describe(g, i, now, sizeof now);
    snprintf(why, size, "changed:");
    for (const char *l = now; *l;) {
        const char *eq = strchr(l, '='), *nl = strchr(l, '\n'), *old = NULL;
        size_t klen = (size_t)(eq - l), vlen = (size_t)(nl - eq - 1);
        size_t olen = value_of(before, l, klen, &old);
        if (!old || olen != vlen || strncmp(old, eq + 1, vlen) != 0) {
            size_t w = strlen(why);
            if (strncmp(l, "input", 5) == 0 || strncmp(l, "content", 7) == 0)
                snprintf(why + w, size - w, " %.*s", (int)klen, l);
            else
                snprintf(why + w, size - w, " %.*s %.*s -> %.*s", (int)klen, l, (int)(old ? olen : 1),
                         old ? old : "?", (int)vlen, eq + 1);
        }
        l = nl + 1;
    }
    if (strcmp(why, "changed:") == 0) /* unchanged since the last run, and not in the cache */
        snprintf(why, size, g->nodes[i].store ? "unchanged; its stored output was evicted"
                                              : "unchanged; recomputed with its branch (not "
                                                "stored: cheap to run again)");
}

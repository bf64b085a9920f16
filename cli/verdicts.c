/* Every output that names a deliverable is judged, and the judgement is said: on stdout the
 * verdict with what was done to the level; on stderr each failed rule; in the exit code. */
#define _XOPEN_SOURCE 700
#include "verdicts.h"

#include "spec_measure.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "key=value" from a node's report, NAN when absent. */
static double report_value(const char *report, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = report; p && *p;) {
        if (strncmp(p, key, n) == 0 && p[n] == '=')
            return strtod(p + n + 1, NULL);
        p = strchr(p, '\n');
        p = p ? p + 1 : NULL;
    }
    return NAN;
}

typedef struct level_moves {
    double gain_db; /* loudness, cap and normalize: the level decisions */
    double gr_max_db; /* the most any limiter on the way took off */
    int known;
} level_moves;

/* From the output up to its source (or the first node joining several inputs). */
static level_moves moves_of(const lathe_graph *g, lathe_node_id id)
{
    level_moves m = {0, 0, 0};
    for (int guard = 0; id >= 0 && guard < 1000; guard++) {
        const char *rep = lathe_graph_node_report(g, id);
        double gain = report_value(rep, "gain_db"), gr = report_value(rep, "gr_max_db");
        const char *type = lathe_graph_node_name(g, id);
        if (isfinite(gain) && type && strcmp(type, "gain") != 0) {
            m.gain_db += gain;
            m.known = 1;
        }
        if (isfinite(gr)) {
            m.gr_max_db = fmax(m.gr_max_db, gr);
            m.known = 1;
        }
        const lathe_node_id *in;
        id = lathe_graph_node_inputs(g, id, &in) == 1 ? in[0] : -1;
    }
    return m;
}

static void print_level(FILE *f, const level_moves *m)
{
    if (!m->known)
        return;
    if (fabs(m->gain_db) < 0.05)
        fprintf(f, "  level: kept");
    else
        fprintf(f, "  level: %s %+.1f dB", m->gain_db > 0 ? "raised" : "turned down", m->gain_db);
    if (m->gr_max_db >= 0.05)
        fprintf(f, ", limited at most %.1f dB\n", m->gr_max_db);
    else
        fprintf(f, ", no limiting\n");
}

/* "plays at: spotify -14.0, apple -16.0, ... LUFS" */
static void print_playback(FILE *f, const json_t *spec)
{
    const json_t *pb = json_object_get(spec, "playback");
    if (!json_array_size(pb))
        return;
    fprintf(f, "  plays at:");
    size_t i;
    json_t *r;
    json_array_foreach(pb, i, r)
        fprintf(f, "%s %s %.1f", i ? "," : "", json_string_value(json_object_get(r, "platform")),
                json_number_value(json_object_get(r, "playback_lufs")));
    fprintf(f, " LUFS\n");
}

void lathe_cli_output_verdict(FILE *f, const lathe_graph *g, int i, const json_t *out)
{
    const json_t *spec = json_object_get(out, "spec");
    if (!spec)
        return;
    level_moves m = moves_of(g, lathe_graph_output_node(g, i));
    print_level(f, &m);
    print_playback(f, spec);
    lathe_spec_print(f, spec);
}

int lathe_cli_judge(const json_t *run)
{
    int all_pass = 1;
    size_t i, k;
    json_t *out, *r;
    json_array_foreach(json_object_get(run, "outputs"), i, out) {
        const json_t *v = json_object_get(out, "spec");
        if (!v || json_is_true(json_object_get(v, "pass")))
            continue;
        all_pass = 0;
        const char *path = json_string_value(json_object_get(out, "path"));
        const char *name = json_string_value(json_object_get(v, "name"));
        const char *err = json_string_value(json_object_get(v, "error"));
        if (err)
            fprintf(stderr, "lathe: %s: spec %s: %s\n", path, name, err);
        json_array_foreach(json_object_get(v, "failures"), k, r)
            fprintf(stderr, "lathe: %s: spec %s: %s: %s\n", path, name,
                    json_string_value(json_object_get(r, "rule")),
                    json_string_value(json_object_get(r, "message")));
    }
    return all_pass;
}

/* Dither and its rounding add up to about 1.5 LSB; at 16 bits near full scale that is under
 * 0.001 dB, but a limiter aimed exactly at the ceiling leaves none of it. */
#define DITHER_MARGIN_DB 0.01

static int is_type(const lathe_graph *g, lathe_node_id id, const char *type)
{
    const char *t = lathe_graph_node_name(g, id);
    return t && strcmp(t, type) == 0;
}

static lathe_node_id input_of(const lathe_graph *g, lathe_node_id id)
{
    const lathe_node_id *in;
    return lathe_graph_node_inputs(g, id, &in) == 1 ? in[0] : -1;
}

/* Past nodes that do not change peaks (pad, trim, fade ends are silence anyway). */
static lathe_node_id skip_neutral(const lathe_graph *g, lathe_node_id id)
{
    while (id >= 0 && (is_type(g, id, "pad") || is_type(g, id, "trim")))
        id = input_of(g, id);
    return id;
}

void lathe_cli_warn_dither_margin(const lathe_graph *g)
{
    for (int i = 0; i < lathe_graph_output_count(g); i++) {
        const char *spec = lathe_graph_output_deliverable(g, i);
        lathe_spec_profile p;
        char err[256];
        if (!spec || !lathe_spec_known(spec) || lathe_spec_parse(spec, NULL, 0, &p, err, sizeof err))
            continue;
        double ceiling = lathe_spec_get(&p, "ceiling_dbtp");
        lathe_node_id d = skip_neutral(g, lathe_graph_output_node(g, i));
        if (!isfinite(ceiling) || d < 0 || !is_type(g, d, "dither"))
            continue;
        lathe_node_id lim = skip_neutral(g, input_of(g, d));
        if (lim < 0 || !(is_type(g, lim, "limit") || is_type(g, lim, "loudness")))
            continue;
        double c = lathe_graph_node_number(g, lim, "ceiling_dbtp");
        if (isfinite(c) && c > ceiling - DITHER_MARGIN_DB)
            fprintf(stderr, "lathe: warning: %s %s (ceiling_dbtp %.2f) feeds %s dither with no "
                            "margin under the %s ceiling of %.2f dBTP: dither and rounding can "
                            "land the true peak over it (aim the limiter 0.05 dB lower)\n",
                    lathe_graph_node_label(g, lim), lathe_graph_node_name(g, lim), c,
                    lathe_graph_node_label(g, d), p.name, ceiling);
    }
}

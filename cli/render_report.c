#define _XOPEN_SOURCE 700
#include "render_report.h"

#include "verdicts.h"

#include "measure/analysis.h"
#include "analysis_cache.h"
#include "analysis_json.h"
#include "spec_measure.h"
#include "cache/cache.h"
#include "cache/cache_key.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

json_t *lathe_output_to_json(const lathe_output_result *r, const lathe_analysis_result *a,
                             const lathe_spec_extra *lf)
{
    json_t *o = a ? lathe_analysis_to_json(r->path, a) : json_object();
    json_object_set_new(o, "path", json_string(r->path));
    json_object_set_new(o, "deliverable", r->deliverable ? json_string(r->deliverable) : json_null());
    json_object_set_new(o, "rate", json_integer(r->fmt.rate));
    json_object_set_new(o, "channels", json_integer(r->fmt.channels));
    json_object_set_new(o, "frames", json_integer((json_int_t)r->fmt.frames));
    json_object_set_new(o, "bits", json_integer(r->bits));
    if (!r->bits) /* lossy: what it was encoded at, and that it was measured decoded */
        json_object_set_new(o, "bitrate_kbps", json_integer(r->bitrate_kbps));
    json_object_set_new(o, "format", json_string(r->format));
    json_object_set_new(o, "clipped_on_write", json_integer((json_int_t)r->clipped));
    json_object_set_new(o, "skipped", json_boolean(r->skipped));
    if (r->copied_from)
        json_object_set_new(o, "copied_from", json_string(r->copied_from));
    /* A deliverable named after a spec profile is checked as written (spec.h). */
    if (r->deliverable && lathe_spec_known(r->deliverable)) {
        json_t *v;
        /* The sink already measured the file: the check adds only what the spec needs on top. */
        lathe_spec_check(r->deliverable, NULL, r->path, a, lf, &v);
        json_object_set_new(o, "spec", v);
    }
    return o;
}

/* "key=value" report lines as a JSON object (numbers where they parse). */
/* "1.5,-2,3" as a JSON array of numbers (a node's curve over bands), or NULL when it is not
 * such a list. */
static json_t *number_list(const char *val)
{
    if (!strchr(val, ','))
        return NULL;
    json_t *a = json_array();
    for (const char *p = val; *p;) {
        char *end;
        double d = strtod(p, &end);
        if (end == p || (*end && *end != ',')) {
            json_decref(a);
            return NULL;
        }
        json_array_append_new(a, isfinite(d) ? json_real(d) : json_null());
        p = *end ? end + 1 : end;
    }
    return a;
}

static json_t *report_to_json(const char *text)
{
    json_t *o = json_object();
    while (text && *text) {
        const char *eq = strchr(text, '='), *nl = strchr(text, '\n');
        if (!nl)
            nl = text + strlen(text);
        if (eq && eq < nl) {
            char key[128], val[512], *end;
            snprintf(key, sizeof key, "%.*s", (int)(eq - text), text);
            snprintf(val, sizeof val, "%.*s", (int)(nl - eq - 1), eq + 1);
            double d = strtod(val, &end);
            json_t *list = number_list(val);
            json_object_set_new(o, key, list ? list : *end || !*val ? json_string(val)
                                       : isfinite(d) ? json_real(d) : json_null());
        }
        text = *nl ? nl + 1 : nl;
    }
    return o;
}

static lathe_key analysis_blob_key(const lathe_output_result *r)
{
    lathe_key k = {0, 0};
    lathe_key_from_hex(r->key, &k);
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "output-analysis-json");
    lathe_key_builder_add_key(&kb, k);
    const char *platforms = lathe_spec_platforms(); /* the verdict depends on them too */
    lathe_key_builder_add_str(&kb, platforms ? platforms : "");
    return lathe_key_builder_finish(&kb);
}

/* What a written output reported (analysis and spec verdict), kept for the runs that leave the
 * file alone: they report it without measuring or checking again. */
static void remember(const lathe_output_result *r, const lathe_analysis_result *a, const json_t *o,
                     lathe_cache *cache)
{
    lathe_cli_remember_analysis(cache, r->path, r->content_key, a); /* for later runs' reports */
    char *text = cache ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    if (text)
        lathe_cache_put_blob(cache, analysis_blob_key(r), text, strlen(text));
    free(text);
}

/* The report remembered for an output left alone, or NULL (evicted). */
static json_t *remembered(const lathe_output_result *r, lathe_cache *cache)
{
    size_t len = 0;
    char *buf = cache ? malloc(LATHE_CACHE_BLOB_MAX + 1) : NULL;
    json_t *j = NULL;
    if (buf && lathe_cache_get_blob(cache, analysis_blob_key(r), buf, LATHE_CACHE_BLOB_MAX, &len) == LATHE_OK)
        j = json_loadb(buf, len, 0, NULL);
    free(buf);
    return j;
}

json_t *lathe_run_to_json(const lathe_graph *g, const lathe_output_meters *m, lathe_cache *cache)
{
    json_t *root = json_object(), *outs = json_array(), *nodes = json_array();
    for (int i = 0; i < lathe_graph_output_count(g); i++) {
        const lathe_output_result *r = lathe_graph_output_result(g, i);
        json_t *o;
        if (r->skipped && (o = remembered(r, cache))) {
            json_object_set_new(o, "skipped", json_true());
        } else if (r->copied_from && (o = remembered(r, cache))) {
            /* The same bytes as the file it came from: that file's measurements and verdict. */
            json_object_set_new(o, "path", json_string(r->path));
            json_object_set_new(o, "copied_from", json_string(r->copied_from));
        } else if ((o = remembered(r, cache))) {
            /* Rendered again to the same key, so to the same bytes as a file checked before (on
             * another machine too, through a shared cache): its verdict, not a second round of
             * codec trips. */
            json_object_set_new(o, "path", json_string(r->path));
            json_object_set_new(o, "skipped", json_false());
        } else {
            o = lathe_output_to_json(r, lathe_output_meters_result(m, i),
                                     lathe_output_meters_lf(m, i));
            remember(r, lathe_output_meters_result(m, i), o, cache);
        }
        json_array_append_new(outs, o);
    }
    const lathe_run_stats *st = lathe_graph_run_stats(g);
    json_t *counters = json_object();
    json_object_set_new(counters, "hits", json_integer((json_int_t)st->cache_hits));
    json_object_set_new(counters, "misses", json_integer((json_int_t)st->cache_misses));
    json_object_set_new(counters, "bytes_read", json_integer((json_int_t)st->bytes_read));
    json_object_set_new(counters, "bytes_written", json_integer((json_int_t)st->bytes_written));
    for (int i = 0; i < lathe_graph_node_count(g); i++) {
        json_t *n = json_object();
        json_object_set_new(n, "id", json_integer(i));
        json_object_set_new(n, "type", json_string(lathe_graph_node_name(g, i)));
        json_object_set_new(n, "origin", json_string(lathe_graph_node_label(g, i)));
        json_object_set_new(n, "ran", json_boolean(lathe_graph_node_ran(g, i)));
        json_object_set_new(n, "why", json_string(lathe_graph_node_why(g, i)));
        json_object_set_new(n, "report", report_to_json(lathe_graph_node_report(g, i)));
        json_object_set_new(n, "time_s", json_real(lathe_graph_node_time(g, i)));
        json_array_append_new(nodes, n);
    }
    json_object_set_new(root, "outputs", outs);
    json_object_set_new(root, "cache", counters);
    json_object_set_new(root, "nodes", nodes);
    json_object_set_new(root, "nodes_run", json_integer(st->nodes_run));
    return root;
}

static void print_db(FILE *f, const char *label, double v, const char *unit)
{
    if (isfinite(v))
        fprintf(f, "  %s %6.1f %s", label, v, unit);
    else
        fprintf(f, "  %s    -- %s", label, unit);
}

const char *lathe_output_depth(const lathe_output_result *r, char *buf, size_t size)
{
    if (r->bits)
        snprintf(buf, size, "%d-bit", r->bits);
    else
        snprintf(buf, size, "%d kbps", r->bitrate_kbps);
    return buf;
}

/* A path under the current folder as the user would type it ("masters/v1/song.wav"). */
static const char *shown_path(const char *abs)
{
    static char cwd[4096];
    size_t n;
    if (!getcwd(cwd, sizeof cwd) || (n = strlen(cwd)) <= 1 || strncmp(abs, cwd, n) != 0
        || abs[n] != '/')
        return abs;
    return abs + n + 1;
}

static double number(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : (double)NAN;
}

void lathe_run_print(FILE *f, const lathe_graph *g, const json_t *run)
{
    const json_t *outs = json_object_get(run, "outputs");
    for (int i = 0; i < lathe_graph_output_count(g); i++) {
        const lathe_output_result *r = lathe_graph_output_result(g, i);
        char depth[32];
        fprintf(f, "%s\n  %s %s %u Hz %u ch, %.2f s", r->path, r->format,
                lathe_output_depth(r, depth, sizeof depth), r->fmt.rate, r->fmt.channels,
                (double)r->fmt.frames / r->fmt.rate);
        if (r->skipped) {
            fprintf(f, "  (up to date, left alone)\n");
            continue;
        }
        if (r->copied_from)
            fprintf(f, "  (copied from %s)\n ", shown_path(r->copied_from));
        const json_t *o = json_array_get(outs, (size_t)i);
        if (json_object_get(o, "integrated_lufs")) {
            print_db(f, "", number(o, "integrated_lufs"), "LUFS");
            print_db(f, "", number(o, "true_peak_dbtp"), "dBTP");
            print_db(f, "LRA", number(o, "lra_lu"), "LU");
        }
        if (r->clipped)
            fprintf(f, "\n  warning: %llu samples clipped converting to %d-bit",
                    (unsigned long long)r->clipped, r->bits);
        fputc('\n', f);
        lathe_cli_output_verdict(f, g, i, o);
    }
    /* Say what each counter counts: nodes that ran, files written or left alone, and cache
     * look-ups (audio entries and remembered analyses) that found something or did not. */
    const lathe_run_stats *st = lathe_graph_run_stats(g);
    int left = 0, copied = 0, n = lathe_graph_output_count(g);
    for (int i = 0; i < n; i++) {
        left += lathe_graph_output_result(g, i)->skipped;
        copied += lathe_graph_output_result(g, i)->copied_from != NULL;
    }
    int written = n - left - copied;
    fprintf(f, "%d node%s ran; %d output%s written, ", st->nodes_run, st->nodes_run == 1 ? "" : "s",
            written, written == 1 ? "" : "s");
    if (copied)
        fprintf(f, "%d copied from earlier files, ", copied);
    fprintf(f, "%d left alone (up to date); cache look-ups: %llu found, %llu not found\n", left,
            (unsigned long long)st->cache_hits, (unsigned long long)st->cache_misses);
}

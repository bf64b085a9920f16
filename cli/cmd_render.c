/* lathe render SCRIPT [-o DIR] [-D k=v]... [-j N] [--cache DIR | --no-cache] [--json] [--quiet]
 * lathe graph SCRIPT [-D k=v]...
 * lathe cache explain SCRIPT uses the same loading with a dry run. */
#define _XOPEN_SOURCE 700
#include "cli.h"

#include "lua/lathe_lua.h"
#include "options.h"
#include "render_report.h"
#include "preview.h"
#include "report_html.h"
#include "verdicts.h"

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lathe_cli_ensure_dir(const char *dir)
{
    struct stat st;
    /* mkdir first: shards started together all create the folder, and only one of them can
     * (a stat-then-mkdir let the losers fail with "File exists") */
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "lathe: %s: cannot create the output folder: %s\n", dir, strerror(errno));
        return 3;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "lathe: %s: not a folder\n", dir);
        return 3;
    }
    if (access(dir, W_OK) != 0) {
        fprintf(stderr, "lathe: %s: output folder is not writable\n", dir);
        return 3;
    }
    return 0;
}

/* Loads the script into a new graph; prints the error and returns the exit code on failure. */
int lathe_cli_load(const lathe_options *o, const char *script, lathe_graph **out)
{
    lathe_graph *g;
    if (lathe_graph_new(&g) != LATHE_OK) {
        fprintf(stderr, "lathe: out of memory\n");
        return 2;
    }
    lathe_script_config sc = {
        .script_path = script, .out_dir = o->out_dir ? o->out_dir : ".",
        .allow_paths = o->allow, .n_allow = o->n_allow,
        .defines = o->defines, .n_defines = o->n_defines, .n_implicit = o->n_implicit,
        .cpu_limit_s = 5.0, /* a whole album's script takes well under a second */
    };
    char err[2048], abs[4096];
    if (realpath(script, abs))
        lathe_graph_set_name(g, abs);
    lathe_cli_cancel_flag(); /* from here on, an interrupt stops cleanly */
    int rc = lathe_cli_phase("script") ? LATHE_ERR_CANCEL : lathe_script_run(&sc, g, err, sizeof err);
    if (rc == LATHE_ERR_CANCEL)
        snprintf(err, sizeof err, "interrupted");
    if (rc != LATHE_OK) {
        fprintf(stderr, "lathe: %s\n", err);
        lathe_graph_free(g);
        return lathe_status_exit_code(rc);
    }
    lathe_cli_warn_dither_margin(g);
    *out = g;
    return 0;
}

/* The excerpts' name prefix: "mix" for DIR/mix.report.html, "render" for DIR/report.html. */
static const char *preview_stem(const char *html)
{
    static char stem[256];
    const char *b = strrchr(html, '/') ? strrchr(html, '/') + 1 : html;
    size_t n = strlen(b), suffix = strlen(".report.html");
    if (n > suffix && strcmp(b + n - suffix, ".report.html") == 0)
        snprintf(stem, sizeof stem, "%.*s", (int)(n - suffix), b);
    else
        snprintf(stem, sizeof stem, "render");
    return stem;
}

/* The phase after the render on the progress line ("checking", "writing report"); NULL clears. */
static void say_phase(int on, const char *phase)
{
    if (!on)
        return;
    fprintf(stderr, "\r%-72s\r%s%s", "", phase ? phase : "", phase ? " ..." : "");
    fflush(stderr);
}

/* Renders a loaded graph with the options' cache and threads, then reports. */
int lathe_cli_render_run(const lathe_options *o, lathe_graph *g, const char *title,
                         const char *html, json_t **run)
{
    lathe_cache *cache;
    int code = lathe_options_open_cache(o, &cache);
    if (code)
        return code;
    lathe_output_meters *meters;
    if (lathe_output_meters_new(g, &meters) != LATHE_OK) {
        fprintf(stderr, "lathe: out of memory\n");
        lathe_cache_free(cache);
        return 2;
    }
    lathe_render_config cfg = lathe_render_config_default();
    cfg.tap = lathe_output_meters_tap(meters);
    cfg.threads = o->threads;
    cfg.cache = cache;
    cfg.progress = !o->quiet && !o->json && isatty(2);
    cfg.cancel = lathe_cli_cancel_flag();
    uint64_t bad = cache ? lathe_cache_get_stats(cache).corrupt : 0;
    lathe_output_meters_measure_sources(meters, cache, o->threads);
    int rc = lathe_cli_phase("rendering") ? LATHE_ERR_CANCEL : lathe_render(g, &cfg);
    lathe_output_meters_wait_sources(meters); /* its cache reads count below too */
    if (cache && (bad = lathe_cache_get_stats(cache).corrupt - bad) > 0) {
        /* damaged, or forged (not sealed with LATHE_CACHE_KEY): recomputed, and never silent */
        char msg[LATHE_ERR_MAX + 64];
        lathe_cache_last_message(cache, msg, sizeof msg);
        fprintf(stderr, "lathe: warning: %llu bad cache entr%s removed and recomputed (last: %s)\n",
                (unsigned long long)bad, bad == 1 ? "y" : "ies", msg);
    }
    if (rc == LATHE_OK && lathe_cli_phase("measuring"))
        rc = LATHE_ERR_CANCEL;
    if (rc == LATHE_ERR_CANCEL) {
        fprintf(stderr, "lathe: interrupted\n");
    } else if (rc != LATHE_OK) {
        const char *err = lathe_graph_error(g);
        int budget = o->budget_hint && strstr(err, "max_gr_db");
        fprintf(stderr, "lathe: %s%s%s\n", err, budget ? "; " : "", budget ? o->budget_hint : "");
    } else {
        say_phase(cfg.progress, "checking"); /* the specs of the deliverables */
        *run = lathe_run_to_json(g, meters, cache); /* made once: for --json and the report */
        if (lathe_cli_phase("previews"))
            code = 130;
        /* Nothing rendered and a report already there: it describes these very files. */
        int all_skipped = 1;
        for (int i = 0; i < lathe_graph_output_count(g); i++)
            all_skipped &= lathe_graph_output_result(g, i)->skipped;
        lathe_previews *pv = o->preview ? calloc(1, sizeof *pv) : NULL;
        if (pv && !code && (code = lathe_preview_write(g, o->out_dir ? o->out_dir : ".",
                                              preview_stem(html), o->preview_at_s, pv)) == 0)
            json_object_set_new(*run, "previews", lathe_preview_to_json(pv));
        if (!code && lathe_cli_phase("report"))
            code = 130;
        say_phase(cfg.progress, code ? NULL : "writing report");
        if (!code && (pv || !(all_skipped && access(html, F_OK) == 0)))
            code = lathe_report_html_write(html, g, title, pv, *run, meters, cache);
        say_phase(cfg.progress, NULL);
        if (code == 130)
            fprintf(stderr, "lathe: interrupted\n");
        free(pv);
    }
    lathe_output_meters_free(meters);
    if (cache) {
        lathe_cache_stats_save(cache);
        lathe_cache_gc(cache, o->cache_size, NULL);
        lathe_cache_free(cache);
    }
    return rc != LATHE_OK ? lathe_status_exit_code(rc) : code;
}

int lathe_cli_render_graph(const lathe_options *o, lathe_graph *g)
{
    char report[4096];
    json_t *j = NULL;
    snprintf(report, sizeof report, "%s/report.html", o->out_dir ? o->out_dir : ".");
    int code = lathe_cli_render_run(o, g, o->n_positional ? o->positional[0] : NULL, report, &j);
    if (j && o->json) {
        json_dumpf(j, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
    } else if (j && !o->quiet) {
        lathe_run_print(stdout, g, j);
        if (!code)
            printf("report: %s\n", report);
    }
    /* Like `lathe check`: a deliverable that fails its spec fails the command. */
    if (j && !code && !lathe_cli_judge(j))
        code = 1;
    json_decref(j);
    return code;
}

int lathe_cmd_render(int argc, char **argv)
{
    lathe_options o;
    if (lathe_options_parse(&o, argc, argv, NULL, NULL))
        return 2;
    if (o.n_positional != 1) {
        fprintf(stderr, "usage: lathe render SCRIPT|- [-o DIR] [-D name=value]... [-j N] "
                        "[--cache DIR | --no-cache] [--preview [--preview-at S]] [--json] [--quiet]\n");
        return 2;
    }
    int code = lathe_cli_ensure_dir(o.out_dir ? o.out_dir : ".");
    if (code)
        return code;
    lathe_graph *g;
    if ((code = lathe_cli_load(&o, o.positional[0], &g)))
        return code;
    code = lathe_cli_render_graph(&o, g);
    lathe_graph_free(g);
    return code;
}

int lathe_cmd_graph(int argc, char **argv)
{
    lathe_options o;
    if (lathe_options_parse(&o, argc, argv, NULL, NULL))
        return 2;
    if (o.n_positional != 1) {
        fprintf(stderr, "usage: lathe graph SCRIPT [-D name=value]...\n");
        return 2;
    }
    lathe_graph *g;
    int code = lathe_cli_load(&o, o.positional[0], &g);
    if (code)
        return code;
    lathe_graph_write_dot(g, stdout);
    lathe_graph_free(g);
    return 0;
}

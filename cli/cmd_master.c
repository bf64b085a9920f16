/* cmd_master.c - `lathe master MIX... -o DIR [--deliver streaming,cd,vinyl,hires]
 * [--platform LIST] [--chain FILE] [-D k=v]... [--json]`: one mix in, every release format out.
 * Runs the stock chain (chains/master.lua, or --chain) once per mix with -D input, stem, deliver
 * and source_rate set, renders all deliverables in one pass, then checks each written file against
 * its spec (spec.h) and writes DIR/<stem>.report.html. `lathe master --album ALBUM.lua -o DIR`
 * renders an album script as `lathe render` does (DIR/report.html) and checks its deliverables.
 * Exit codes: 0 all pass, 1 a deliverable failed its spec, 2 usage/script, 3 I/O. */
#define _XOPEN_SOURCE 700
#include "master_track.h"

#include "engine/audio_io.h"
#include "lua/lathe_lua.h"
#include "render_report.h"
#include "report_html.h"
#include "spec_measure.h"
#include "verdicts.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int lathe_cli_master_option(void *ud, int argc, char **argv)
{
    master_opts *m = ud;
    if (strcmp(argv[0], "--keep-level") == 0) {
        m->keep_level = 1;
        return 1;
    }
    const char **slot = strcmp(argv[0], "--deliver") == 0    ? &m->deliver
                      : strcmp(argv[0], "--platform") == 0 ? &m->platform
                      : strcmp(argv[0], "--chain") == 0    ? &m->chain
                      : strcmp(argv[0], "--album") == 0    ? &m->album
                      : strcmp(argv[0], "--target") == 0   ? &m->target : NULL;
    if (!slot)
        return 0;
    if (argc < 2) {
        fprintf(stderr, "lathe master: %s needs a value\n", argv[0]);
        return -1;
    }
    *slot = argv[1];
    return 2;
}

static int check_deliver(const char *list)
{
    for (const char *s = list; *s;) {
        size_t len = strcspn(s, ",");
        char name[32];
        snprintf(name, sizeof name, "%.*s", (int)len, s);
        if (len && (len >= sizeof name || !lathe_spec_known(name) || strchr(name, ':'))) {
            char names[128];
            lathe_spec_names(names, sizeof names);
            fprintf(stderr, "lathe master: --deliver: unknown deliverable '%s' (%s)\n", name,
                    names);
            return 2;
        }
        s += len + (s[len] == ',');
    }
    return 0;
}

void lathe_cli_stem_of(const char *path, char *out, size_t size)
{
    const char *b = strrchr(path, '/');
    snprintf(out, size, "%s", b ? b + 1 : path);
    char *dot = strrchr(out, '.');
    if (dot && dot != out)
        *dot = 0;
}

/* Two mixes with one stem: the second's files would replace the first's. */
static int check_stems(const lathe_options *o)
{
    for (int i = 0; i < o->n_positional; i++)
        for (int k = 0; k < i; k++) {
            char a[300], b[300];
            lathe_cli_stem_of(o->positional[i], a, sizeof a);
            lathe_cli_stem_of(o->positional[k], b, sizeof b);
            if (strcmp(a, b) == 0) {
                fprintf(stderr, "lathe master: %s and %s would both write %s/%s.*: master them "
                                "into separate folders or rename one\n",
                        o->positional[k], o->positional[i], o->out_dir, a);
                return 2;
            }
        }
    return 0;
}

typedef struct mix_defines {
    char input[PATH_MAX + 8], stem[300], deliver[300], rate[48], level[64];
} mix_defines;

/* The mix's defines first, so a user's -D of the same name (later) wins. */
static int mix_options(const lathe_options *o, const master_opts *m, const char *mix,
                       mix_defines *d, lathe_options *mo)
{
    char err[LATHE_ERR_MAX], abs[PATH_MAX];
    lathe_audio_reader *rd;
    lathe_audio_info info;
    if (lathe_audio_reader_open(mix, &rd, &info, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "lathe: %s\n", err);
        return 3;
    }
    lathe_audio_reader_free(rd);
    char stem[256];
    lathe_cli_stem_of(mix, stem, sizeof stem);
    snprintf(d->input, sizeof d->input, "input=%s", realpath(mix, abs) ? abs : mix);
    snprintf(d->stem, sizeof d->stem, "stem=%s", stem);
    snprintf(d->deliver, sizeof d->deliver, "deliver=%s",
             m->deliver ? m->deliver : "streaming,cd,vinyl,hires");
    snprintf(d->rate, sizeof d->rate, "source_rate=%u", (unsigned)info.format.rate);
    /* The level decision is asked of the chain, and must be read by it (not implicit). */
    if (m->keep_level)
        snprintf(d->level, sizeof d->level, "keep_level=true");
    else
        snprintf(d->level, sizeof d->level, "target=%s", m->target ? m->target : "-14");
    *mo = *o;
    const char *mine[] = {d->input, d->stem, d->deliver, d->rate, d->level};
    int n_mine = 5, explicit_level = m->keep_level || m->target;
    if (o->n_defines + n_mine > LATHE_MAX_DEFINES) {
        fprintf(stderr, "lathe master: too many -D values\n");
        return 2;
    }
    mo->n_defines = 0;
    for (int i = 0; i < n_mine; i++)
        mo->defines[mo->n_defines++] = mine[i];
    /* input, stem, deliver and source_rate are offered; the default target too (a --chain of
     * one's own may not know it); an asked --target or --keep-level must be read. */
    mo->n_implicit = explicit_level ? 4 : 5;
    for (int i = 0; i < o->n_defines; i++)
        mo->defines[mo->n_defines++] = o->defines[i];
    return 0;
}

/* Each output: its line of numbers, what was done to its level, then its spec verdict; the
 * failures on stderr. Returns 1 when every spec passed. */
static int report(const lathe_options *o, const lathe_graph *g, json_t *run)
{
    size_t i;
    json_t *out;
    json_array_foreach(json_object_get(run, "outputs"), i, out) {
        if (o->json || o->quiet)
            continue;
        json_t *lufs = json_object_get(out, "integrated_lufs"), *tp = json_object_get(out, "true_peak_dbtp");
        int bits = (int)json_integer_value(json_object_get(out, "bits"));
        char depth[32]; /* a lossy file stores no word length: "lossy", never "0-bit" */
        if (bits)
            snprintf(depth, sizeof depth, "%d-bit", bits);
        else
            snprintf(depth, sizeof depth, "lossy");
        printf("%s\n  %s %s %d Hz, %.2f s, %.2f LUFS, %.2f dBTP\n",
               json_string_value(json_object_get(out, "path")),
               json_string_value(json_object_get(out, "format")), depth,
               (int)json_integer_value(json_object_get(out, "rate")),
               (double)json_integer_value(json_object_get(out, "frames")) /
                   (double)json_integer_value(json_object_get(out, "rate")),
               json_is_number(lufs) ? json_number_value(lufs) : (double)NAN,
               json_is_number(tp) ? json_number_value(tp) : (double)NAN);
        lathe_cli_output_verdict(stdout, g, (int)i, out);
    }
    int all_pass = lathe_cli_judge(run);
    json_object_set_new(run, "pass", json_boolean(all_pass));
    return all_pass;
}

/* Renders g (taking it over), prints each output's verdict and the report's path, and adds the
 * run to runs under what = name. */
static int render_checked(const lathe_options *ro, const lathe_options *o, lathe_graph *g,
                          const char *what, const char *name, const char *html, json_t *runs,
                          int *all_pass)
{
    json_t *run = NULL;
    int code = lathe_cli_render_run(ro, g, name, html, &run);
    if (run) {
        json_object_set_new(run, what, json_string(name));
        json_object_set_new(run, "report_html", json_string(html));
        *all_pass &= report(o, g, run);
        if (!code && !o->json && !o->quiet)
            printf("report: %s\n", html);
        json_array_append_new(runs, run);
    }
    lathe_graph_free(g);
    return code;
}

int lathe_cli_master_track(const lathe_options *o, const master_opts *m, const char *chain,
                           const char *mix, json_t *runs, int *all_pass)
{
    mix_defines d;
    lathe_options mo;
    int code = mix_options(o, m, mix, &d, &mo);
    lathe_graph *g;
    if (code || (code = lathe_cli_load(&mo, chain, &g)))
        return code;
    if (lathe_graph_output_count(g) == 0) {
        fprintf(stderr, "lathe master: %s wrote no outputs (deliver=%s)\n", chain, d.deliver + 8);
        lathe_graph_free(g);
        return 2;
    }
    char html[PATH_MAX + 300];
    snprintf(html, sizeof html, "%s/%s.report.html", o->out_dir, d.stem + 5);
    return render_checked(&mo, o, g, "input", mix, html, runs, all_pass);
}

/* --album FILE: the album script renders as `lathe render FILE -o DIR` would; its deliverables
 * named after a spec profile are checked. */
static int master_album(const lathe_options *o, const char *album, json_t *runs, int *all_pass)
{
    lathe_graph *g;
    int code = lathe_cli_load(o, album, &g);
    if (code)
        return code;
    char html[PATH_MAX + 32];
    snprintf(html, sizeof html, "%s/report.html", o->out_dir);
    return render_checked(o, o, g, "album", album, html, runs, all_pass);
}

/* --target is a loudness in LUFS, not with --keep-level, neither with --album (an album sets
 * its loudness in its script). Sets the hint added to a budget error. Returns 0, or 2. */
static int check_level(const master_opts *m, lathe_options *o)
{
    char *end = NULL;
    double target = m->target ? strtod(m->target, &end) : -14;
    if (m->target && (end == m->target || *end || !(target >= -40 && target <= -3))) {
        fprintf(stderr, "lathe master: --target %s: expected an integrated loudness in LUFS "
                        "between -40 and -3 (e.g. --target -14)\n", m->target);
        return 2;
    }
    if ((m->target && m->keep_level) || (m->album && (m->target || m->keep_level))) {
        fprintf(stderr, "lathe master: %s\n", m->album ? "--album sets its loudness in the "
                "album script (loudness =, target_lufs =), not with --target/--keep-level"
                : "--target and --keep-level exclude each other");
        return 2;
    }
    /* The loudness node fails past its limiting budget naming max_gr_db; say which option
     * of lathe master that is. */
    o->budget_hint = m->keep_level || m->album ? NULL
        : "the limiting budget is each deliverable's max_gr_db (-D streaming.max_gr_db=8, "
          "cd.max_gr_db=, hires.max_gr_db=; default 6 dB), or ask for less with --target";
    return 0;
}

int lathe_cli_master_check(const master_opts *m, lathe_options *o)
{
    char bad[64];
    if (check_level(m, o) || (m->deliver && check_deliver(m->deliver)))
        return 2;
    /* An unknown platform would otherwise fail every deliverable after rendering it. */
    if (m->platform && lathe_spec_check_platforms(m->platform, bad, sizeof bad) != 0) {
        fprintf(stderr, "lathe master: --platform: unknown platform '%s' (spotify, apple, youtube, "
                        "tidal, deezer, amazon)\n", bad);
        return 2;
    }
    return 0;
}

int lathe_cmd_master(int argc, char **argv)
{
    lathe_options o;
    master_opts m = {0};
    if (lathe_options_parse(&o, argc, argv, lathe_cli_master_option, &m))
        return 2;
    if ((m.album ? o.n_positional != 0 || m.chain || m.deliver : o.n_positional < 1)
        || !o.out_dir) {
        fprintf(stderr, "usage: lathe master MIX... -o DIR [--target LUFS | --keep-level] "
                        "[--deliver streaming,cd,vinyl,hires,mp3] [--platform spotify,apple,...] "
                        "[--chain FILE] [-D key=value]... [-j N] "
                        "[--cache DIR | --no-cache] [--preview [--preview-at S]] [--json] [--quiet]\n"
                        "       lathe master --album ALBUM.lua -o DIR [--platform ...] "
                        "[-D key=value]... [-j N] [--cache DIR | --no-cache] [--json] [--quiet]\n");
        return 2;
    }
    if (lathe_cli_master_check(&m, &o))
        return 2;
    char chain[PATH_MAX] = "";
    if (m.album || m.chain)
        snprintf(chain, sizeof chain, "%s", m.chain ? m.chain : "");
    else if (lathe_lua_find_chain("master.lua", chain, sizeof chain) != 0) {
        fprintf(stderr, "lathe master: no chains/master.lua (set LATHE_CHAINS or use --chain)\n");
        return 2;
    }
    int code = check_stems(&o);
    if (code || (code = lathe_cli_ensure_dir(o.out_dir)))
        return code;
    lathe_spec_set_platforms(m.platform);
    json_t *runs = json_array();
    int all_pass = 1;
    if (m.album)
        code = master_album(&o, m.album, runs, &all_pass);
    for (int i = 0; i < o.n_positional && !code; i++)
        code = lathe_cli_master_track(&o, &m, chain, o.positional[i], runs, &all_pass);
    if (!code && o.json) {
        json_t *doc = json_array_size(runs) == 1 ? json_array_get(runs, 0)
                                                  : json_pack("{s:O, s:b}", "runs", runs, "pass", all_pass);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        if (json_array_size(runs) != 1)
            json_decref(doc);
    }
    json_decref(runs);
    if (!code && !all_pass && !o.quiet && !o.json)
        fprintf(stderr, "lathe master: a deliverable failed its spec\n");
    return code ? code : all_pass ? 0 : 1;
}

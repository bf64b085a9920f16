/* batch_merge.c - the catalogue report: DIR/catalogue.json and DIR/index.html, one row per
 * track and deliverable from each DIR/<stem>/track.json, failures first. Both files are
 * written to a temp name and renamed, so shards merging at once never leave half a report. */
#define _XOPEN_SOURCE 700
#include "batch.h"
#include "cli.h"
#include "report_svg.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int row_failed(json_t *row)
{
    return !json_is_true(json_object_get(row, "pass"));
}

static int by_failure_then_name(const void *a, const void *b)
{
    json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
    if (row_failed(x) != row_failed(y))
        return row_failed(x) ? -1 : 1;
    int c = strcmp(json_string_value(json_object_get(x, "track")),
                   json_string_value(json_object_get(y, "track")));
    return c ? c : strcmp(json_string_value(json_object_get(x, "file")) ?: "",
                          json_string_value(json_object_get(y, "file")) ?: "");
}

/* Rows of one track's record. */
static void add_rows(json_t *rows, const char *stem, json_t *rec)
{
    json_t *report = json_sprintf("%s/%s", stem, json_string_value(json_object_get(rec, "report")) ?: "");
    if (json_integer_value(json_object_get(rec, "code")) != 0) {
        json_array_append_new(rows, json_pack("{s:s, s:b, s:I, s:o}", "track", stem, "pass", 0,
                              "code", json_integer_value(json_object_get(rec, "code")), "report", report));
        return;
    }
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(rec, "outputs"), i, o) {
        json_t *row = json_deep_copy(o);
        json_object_set_new(row, "track", json_string(stem));
        json_object_set_new(row, "file", json_sprintf("%s/%s", stem,
                            json_string_value(json_object_get(o, "file")) ?: ""));
        json_object_set(row, "report", report);
        json_array_append_new(rows, row);
    }
    json_decref(report);
}

static void html_number(FILE *f, json_t *v, const char *unit)
{
    if (json_is_number(v))
        fprintf(f, "<td>%.2f %s</td>", json_number_value(v), unit);
    else
        fputs("<td>-</td>", f);
}

static int write_html(const char *path, json_t *rows, int tracks, int failed)
{
    char tmp[PATH_MAX + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>lathe catalogue</title>\n"
               "<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}"
               "td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}"
               ".fail{color:#b00;font-weight:bold}</style></head><body>\n"
               "<h1>Catalogue: %d tracks, %d failing</h1>\n<table>\n<tr><th>track</th>"
               "<th>deliverable</th><th>file</th><th>loudness</th><th>true peak</th>"
               "<th>verdict</th><th>report</th></tr>\n", tracks, failed);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        fputs("<tr><td>", f);
        lathe_html_escape(f, json_string_value(json_object_get(row, "track")));
        fputs("</td><td>", f);
        lathe_html_escape(f, json_string_value(json_object_get(row, "deliverable")) ?: "-");
        fputs("</td><td>", f);
        lathe_html_escape(f, json_string_value(json_object_get(row, "file")) ?: "(not rendered)");
        fputs("</td>", f);
        html_number(f, json_object_get(row, "integrated_lufs"), "LUFS");
        html_number(f, json_object_get(row, "true_peak_dbtp"), "dBTP");
        fprintf(f, "<td class=\"%s\">%s</td><td><a href=\"", row_failed(row) ? "fail" : "pass",
                row_failed(row) ? "FAIL" : "pass");
        lathe_html_escape(f, json_string_value(json_object_get(row, "report")));
        fputs("\">report</a></td></tr>\n", f);
    }
    fputs("</table>\n</body></html>\n", f);
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

int lathe_batch_merge(const char *dir, int quiet)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "lathe batch --merge: %s: %s\n", dir, strerror(errno));
        return 3;
    }
    json_t *rows = json_array(), *tracks = json_array();
    int n_tracks = 0, failed = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s/" LATHE_BATCH_RECORD, dir, e->d_name);
        json_t *rec = e->d_name[0] == '.' ? NULL : json_load_file(path, 0, NULL);
        if (!rec)
            continue;
        n_tracks++;
        failed += !json_is_true(json_object_get(rec, "pass"));
        add_rows(rows, e->d_name, rec);
        json_array_append_new(tracks, json_string(e->d_name));
        json_decref(rec);
    }
    closedir(d);
    size_t n = json_array_size(rows);
    json_t **v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = json_incref(json_array_get(rows, i));
    qsort(v, n, sizeof *v, by_failure_then_name);
    json_array_clear(rows);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(rows, v[i]);
    free(v);
    json_t *doc = json_pack("{s:i, s:i, s:b, s:o}", "tracks", n_tracks, "failed", failed,
                            "pass", failed == 0, "rows", rows);
    char path[PATH_MAX + 32], tmp[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/catalogue.json", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    int code = 0;
    if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0 ||
        rename(tmp, path) != 0) {
        unlink(tmp);
        code = 3;
    }
    snprintf(path, sizeof path, "%s/index.html", dir);
    if (!code && write_html(path, rows, n_tracks, failed) != 0)
        code = 3;
    if (code)
        fprintf(stderr, "lathe batch --merge: cannot write %s: %s\n", path, strerror(errno));
    else if (!quiet)
        printf("catalogue: %s/index.html (%d tracks, %d failing)\n", dir, n_tracks, failed);
    json_decref(doc);
    json_decref(tracks);
    return code ? code : failed ? 1 : 0;
}

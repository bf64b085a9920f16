/* cmd_check.c - `lathe check FILE... --spec NAME[:k=v,...] [--platform LIST] [-D k=v]... [--json]`:
 * measures any file (made by lathe or not) against a deliverable spec (measure/spec.h) and prints every
 * rule with its measured value. Exit codes: 0 every file passes, 1 a rule failed, 2 bad usage or
 * spec, 3 an unreadable file. */
#include "cli.h"

#include "spec_measure.h"

#include <string.h>

typedef struct check_opts {
    const char *spec, *platform;
} check_opts;

static int check_extra(void *ud, int argc, char **argv)
{
    check_opts *c = ud;
    const char **slot = strcmp(argv[0], "--spec") == 0 ? &c->spec
                      : strcmp(argv[0], "--platform") == 0 ? &c->platform : NULL;
    if (!slot)
        return 0;
    if (argc < 2) {
        fprintf(stderr, "lathe check: %s needs a value\n", argv[0]);
        return -1;
    }
    *slot = argv[1];
    return 2;
}

/* Measures and checks one file; returns 0 pass, 1 fail, 2 bad spec, 3 unreadable. */
static int check_one(const lathe_options *o, const check_opts *c, const char *path, json_t *all)
{
    lathe_spec_profile p;
    char err[512];
    if (lathe_spec_parse(c->spec, o->defines, o->n_defines, &p, err, sizeof err) != 0) {
        fprintf(stderr, "lathe check: %s\n", err);
        return 2;
    }
    lathe_analysis_result *r = NULL;
    lathe_audio_info info;
    lathe_spec_extra x;
    lathe_spec_wants w = lathe_spec_wants_of(&p);
    int rc = lathe_spec_measure_file(path, &w, &r, &info, &x, err, sizeof err);
    if (rc == 130)
        return rc; /* interrupted: the caller says so */
    if (rc != 0) {
        fprintf(stderr, "lathe: %s\n", err);
        return 3;
    }
    json_t *v;
    lathe_spec_file file = lathe_spec_file_of(&info);
    int pass = lathe_spec_evaluate(&p, c->platform, r, &file, &x, &v);
    lathe_analysis_result_free(r);
    if (pass < 0) {
        fprintf(stderr, "lathe check: %s\n", json_string_value(json_object_get(v, "error")));
        json_decref(v);
        return 2;
    }
    json_object_set_new(v, "path", json_string(path));
    json_object_set_new(v, "spec", json_string(c->spec));
    if (!o->json) {
        printf("%s\n", path);
        lathe_spec_print(stdout, v);
    }
    json_array_append_new(all, v);
    return pass ? 0 : 1;
}

int lathe_cmd_check(int argc, char **argv)
{
    lathe_options o;
    check_opts c = {0};
    if (lathe_options_parse(&o, argc, argv, check_extra, &c))
        return 2;
    if (o.n_positional < 1 || !c.spec) {
        fprintf(stderr, "usage: lathe check FILE... "
                        "--spec streaming|cd|vinyl|hires|mp3[:key=value,...] "
                        "[--platform spotify,apple,youtube,tidal,deezer,amazon] [-D key=value]... "
                        "[--json]\n");
        return 2;
    }
    json_t *all = json_array();
    int code = 0;
    lathe_cli_cancel_flag();
    for (int i = 0; i < o.n_positional; i++) {
        int rc = lathe_cli_phase("checking") ? 130 : check_one(&o, &c, o.positional[i], all);
        if (rc == 130)
            fprintf(stderr, "lathe: interrupted\n");
        if (rc > 1) {
            json_decref(all);
            return rc;
        }
        code |= rc;
    }
    if (o.json) {
        json_t *doc = o.n_positional == 1 ? json_array_get(all, 0) : all;
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
    }
    json_decref(all);
    return code;
}

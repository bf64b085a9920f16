/* cmd_batch.c - `lathe batch CATALOGUE -o DIR [--shard I/N | --shards N] [master's options]`
 * and `lathe batch --merge DIR`.
 *
 * CATALOGUE is a CSV with a header row (a `file` column; every other column becomes a -D value
 * of that track, so a column the chain does not read is the same error as an unread -D) or a
 * folder (every audio file in it). Each track of this process's shard is mastered exactly as
 * `lathe master` does it (lathe_cli_master_track) into DIR/<stem>/, then DIR/<stem>/track.json
 * records what came out under a stamp of everything that decides it (source bytes, chain
 * script, options, columns). A track whose record carries the current stamp and whose outputs
 * exist is skipped, so a killed shard is simply run again. Shards split the catalogue by
 * duration (longest first onto the least loaded shard), which depends only on the catalogue:
 * every shard computes the same split and no two shards write the same folder.
 * The shard that finds every track recorded merges the catalogue report (batch_merge.c). */
#define _XOPEN_SOURCE 700
#include "batch.h"
#include "master_track.h"

#include "engine/audio_io.h"
#include "lua/lathe_lua.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_TRACKS 100000
#define MAX_COLS 32
#define BPATH (2 * PATH_MAX) /* folder + name buffers, never truncated in practice */

typedef struct track {
    char *file, *stem;
    char *defines[MAX_COLS]; /* "column=value" */
    int n_defines;
    double seconds;
    int shard;
} track;

typedef struct batch_opts {
    master_opts m;
    const char *shard, *shards, *merge;
} batch_opts;

static int batch_option(void *ud, int argc, char **argv)
{
    batch_opts *b = ud;
    const char **slot = strcmp(argv[0], "--shard") == 0    ? &b->shard
                      : strcmp(argv[0], "--shards") == 0 ? &b->shards
                      : strcmp(argv[0], "--merge") == 0  ? &b->merge : NULL;
    if (!slot)
        return lathe_cli_master_option(&b->m, argc, argv);
    if (argc < 2) {
        fprintf(stderr, "lathe batch: %s needs a value\n", argv[0]);
        return -1;
    }
    *slot = argv[1];
    return 2;
}

/* One CSV field starting at *p (RFC 4180 quoting); advances past its comma. */
static char *csv_field(char **p)
{
    char *s = *p, *out = s, *w = s;
    if (*s == '"') {
        for (s++; *s; s++) {
            if (*s == '"' && s[1] == '"')
                *w++ = *s++;
            else if (*s == '"') {
                s++;
                break;
            } else
                *w++ = *s;
        }
        while (*s && *s != ',')
            s++;
    } else {
        while (*s && *s != ',')
            *w++ = *s++;
    }
    *p = *s == ',' ? s + 1 : s;
    int more = *s == ',';
    *w = 0;
    if (!more && !*s)
        *p = s;
    return out;
}

static int is_audio(const char *name)
{
    const char *dot = strrchr(name, '.');
    const char *ext[] = {".wav", ".flac", ".aif", ".aiff", ".ogg", ".mp3", ".w64"};
    for (size_t i = 0; dot && i < sizeof ext / sizeof *ext; i++)
        if (strcasecmp(dot, ext[i]) == 0)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int add_track(track *t, int *n, const char *file)
{
    if (*n >= MAX_TRACKS) {
        fprintf(stderr, "lathe batch: more than %d tracks\n", MAX_TRACKS);
        return 2;
    }
    track *k = &t[(*n)++];
    char abs[PATH_MAX], stem[256];
    k->file = strdup(realpath(file, abs) ? abs : file);
    lathe_cli_stem_of(file, stem, sizeof stem);
    k->stem = strdup(stem);
    return 0;
}

static int read_folder(const char *dir, track *t, int *n)
{
    DIR *d = opendir(dir);
    char *names[4096];
    int count = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && count < 4096)
        if (e->d_name[0] != '.' && is_audio(e->d_name))
            names[count++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, (size_t)count, sizeof *names, cmp_str);
    int code = 0;
    for (int i = 0; i < count; i++) {
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (!code)
            code = add_track(t, n, path);
        free(names[i]);
    }
    return code;
}

static int read_csv(const char *csv, track *t, int *n)
{
    FILE *f = fopen(csv, "r");
    if (!f) {
        fprintf(stderr, "lathe batch: %s: %s\n", csv, strerror(errno));
        return 3;
    }
    char base[PATH_MAX], line[8192], head[8192], *cols[MAX_COLS];
    const char *slash = strrchr(csv, '/');
    snprintf(base, sizeof base, "%.*s", slash ? (int)(slash - csv) : 1, slash ? csv : ".");
    int n_cols = 0, file_col = -1, stem_col = -1, lineno = 1, code = 0;
    if (!fgets(head, sizeof head, f)) {
        fprintf(stderr, "lathe batch: %s: empty, expected a header row with a 'file' column\n", csv);
        fclose(f);
        return 2;
    }
    head[strcspn(head, "\r\n")] = 0;
    for (char *p = head; *p && n_cols < MAX_COLS;) {
        cols[n_cols] = csv_field(&p);
        if (strcmp(cols[n_cols], "file") == 0)
            file_col = n_cols;
        if (strcmp(cols[n_cols], "stem") == 0)
            stem_col = n_cols;
        n_cols++;
    }
    if (file_col < 0) {
        fprintf(stderr, "lathe batch: %s:1: expected a 'file' column in the header row\n", csv);
        fclose(f);
        return 2;
    }
    while (!code && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = 0;
        if (!line[0])
            continue;
        char *vals[MAX_COLS] = {0}, *p = line;
        for (int c = 0; c < n_cols && *p; c++)
            vals[c] = csv_field(&p);
        if (!vals[file_col] || !vals[file_col][0]) {
            fprintf(stderr, "lathe batch: %s:%d: no file\n", csv, lineno);
            code = 2;
            break;
        }
        char path[BPATH];
        snprintf(path, sizeof path, "%s%s%s", vals[file_col][0] == '/' ? "" : base,
                 vals[file_col][0] == '/' ? "" : "/", vals[file_col]);
        if ((code = add_track(t, n, path)))
            break;
        track *k = &t[*n - 1];
        if (stem_col >= 0 && vals[stem_col] && vals[stem_col][0]) {
            free(k->stem);
            k->stem = strdup(vals[stem_col]);
        }
        for (int c = 0; c < n_cols; c++) {
            if (c == file_col || !vals[c] || !vals[c][0])
                continue;
            size_t len = strlen(cols[c]) + strlen(vals[c]) + 2;
            k->defines[k->n_defines] = malloc(len);
            snprintf(k->defines[k->n_defines++], len, "%s=%s", cols[c], vals[c]);
        }
        if (strchr(k->stem, '/') || k->stem[0] == '.') {
            fprintf(stderr, "lathe batch: %s:%d: stem '%s' must be a plain name\n", csv, lineno, k->stem);
            code = 2;
        }
    }
    fclose(f);
    return code;
}

static int by_duration(const void *a, const void *b)
{
    const track *x = *(track *const *)a, *y = *(track *const *)b;
    if (x->seconds != y->seconds)
        return x->seconds > y->seconds ? -1 : 1;
    return strcmp(x->stem, y->stem);
}

/* Longest first onto the least loaded shard (lowest index on ties): deterministic, balanced. */
static int split(track *t, int n, int shards)
{
    if (n < 1 || shards < 1)
        return 0;
    track **order = malloc((size_t)n * sizeof *order);
    double *load = calloc((size_t)shards, sizeof *load);
    if (!order || !load) {
        free(order);
        free(load);
        return 3;
    }
    for (int i = 0; i < n; i++)
        order[i] = &t[i];
    qsort(order, (size_t)n, sizeof *order, by_duration);
    for (int i = 0; i < n; i++) {
        int best = 0;
        for (int s = 1; s < shards; s++)
            if (load[s] < load[best])
                best = s;
        order[i]->shard = best;
        load[best] += order[i]->seconds;
    }
    free(order);
    free(load);
    return 0;
}

/* --shard I/N, else Slurm's array variables, else JOB_COMPLETION_INDEX with --shards N. */
static int pick_shard(const batch_opts *b, int *index, int *count)
{
    const char *id = getenv("SLURM_ARRAY_TASK_ID"), *cnt = getenv("SLURM_ARRAY_TASK_COUNT");
    const char *k8s = getenv("JOB_COMPLETION_INDEX"), *min = getenv("SLURM_ARRAY_TASK_MIN");
    char *end = NULL;
    *index = 0;
    *count = 1;
    if (b->shard) {
        if (sscanf(b->shard, "%d/%d", index, count) != 2 || *count < 1 || *index < 0 ||
            *index >= *count) {
            fprintf(stderr, "lathe batch: --shard %s: expected I/N with 0 <= I < N (e.g. 0/3)\n", b->shard);
            return 2;
        }
        return 0;
    }
    if (id && cnt) {
        *index = atoi(id) - (min ? atoi(min) : 0);
        *count = atoi(cnt);
    } else if (k8s || b->shards) {
        if (!k8s || !b->shards) {
            fprintf(stderr, "lathe batch: %s\n", k8s ? "JOB_COMPLETION_INDEX is set: say how many "
                    "shards with --shards N (the Job's completions)" : "--shards N needs "
                    "JOB_COMPLETION_INDEX (a Kubernetes Indexed Job); use --shard I/N otherwise");
            return 2;
        }
        *index = atoi(k8s);
        *count = (int)strtol(b->shards, &end, 10);
        if (*end)
            *count = 0;
    }
    if (*count < 1 || *index < 0 || *index >= *count) {
        fprintf(stderr, "lathe batch: shard %d of %d is out of range\n", *index, *count);
        return 2;
    }
    return 0;
}

/* Everything that decides a track's outputs, as 32 hex digits. */
static void track_stamp(const track *k, const lathe_options *o, const batch_opts *b,
                        const char *chain, char out[33])
{
    lathe_key_builder kb;
    lathe_key fk;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, LATHE_VERSION_STRING);
    lathe_key_builder_add_u32(&kb, lathe_key_file(k->file, &fk, NULL) == LATHE_OK);
    lathe_key_builder_add_key(&kb, fk);
    lathe_key_builder_add_u32(&kb, lathe_key_file(chain, &fk, NULL) == LATHE_OK);
    lathe_key_builder_add_key(&kb, fk);
    const char *opts[] = {b->m.deliver, b->m.platform, b->m.target, k->stem};
    for (size_t i = 0; i < sizeof opts / sizeof *opts; i++)
        lathe_key_builder_add_str(&kb, opts[i]);
    lathe_key_builder_add_u32(&kb, (uint32_t)b->m.keep_level);
    for (int i = 0; i < o->n_defines; i++)
        lathe_key_builder_add_str(&kb, o->defines[i]);
    for (int i = 0; i < k->n_defines; i++)
        lathe_key_builder_add_str(&kb, k->defines[i]);
    lathe_key_to_hex(lathe_key_builder_finish(&kb), out);
}

/* The record's stamp matches and every output it lists is there. */
static int up_to_date(const char *dir, const char *stamp)
{
    char path[BPATH + 512];
    snprintf(path, sizeof path, "%s/" LATHE_BATCH_RECORD, dir);
    json_t *rec = json_load_file(path, 0, NULL);
    int ok = rec && json_integer_value(json_object_get(rec, "code")) == 0 &&
             strcmp(json_string_value(json_object_get(rec, "stamp")) ?: "", stamp) == 0;
    size_t i;
    json_t *out;
    json_array_foreach(json_object_get(rec, "outputs"), i, out) {
        char p[2 * BPATH];
        snprintf(p, sizeof p, "%s/%s", dir, json_string_value(json_object_get(out, "file")) ?: "");
        if (access(p, F_OK) != 0)
            ok = 0;
    }
    json_decref(rec);
    return ok;
}

static int write_json_atomic(const char *path, json_t *doc)
{
    char tmp[BPATH + 600];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    if (json_dump_file(doc, tmp, JSON_INDENT(2) | JSON_REAL_PRECISION(10)) != 0 ||
        rename(tmp, path) != 0) {
        fprintf(stderr, "lathe batch: cannot write %s: %s\n", path, strerror(errno));
        unlink(tmp);
        return 3;
    }
    return 0;
}

/* DIR/<stem>/track.json: what the merge needs, paths relative to the track's folder. */
static int record(const char *dir, const track *k, const char *stamp, int code, json_t *run)
{
    json_t *rec = json_pack("{s:s, s:s, s:s, s:i, s:f, s:b}", "file", k->file, "stem", k->stem,
                            "stamp", stamp, "code", code, "seconds", k->seconds,
                            "pass", !code && run && json_is_true(json_object_get(run, "pass")));
    json_t *outs = json_array();
    size_t i;
    json_t *o;
    json_array_foreach(run ? json_object_get(run, "outputs") : NULL, i, o) {
        const char *p = json_string_value(json_object_get(o, "path")) ?: "";
        const char *base = strrchr(p, '/');
        json_t *spec = json_object_get(o, "spec");
        json_t *row = json_pack("{s:s, s:O?, s:O?, s:O?, s:b}", "file", base ? base + 1 : p,
                                "deliverable", json_object_get(o, "deliverable"),
                                "integrated_lufs", json_object_get(o, "integrated_lufs"),
                                "true_peak_dbtp", json_object_get(o, "true_peak_dbtp"),
                                "pass", !spec || json_is_true(json_object_get(spec, "pass")));
        json_array_append_new(outs, row);
    }
    json_object_set_new(rec, "outputs", outs);
    json_object_set_new(rec, "report", json_sprintf("%s.report.html", k->stem));
    char path[BPATH + 512];
    snprintf(path, sizeof path, "%s/" LATHE_BATCH_RECORD, dir);
    int rc = write_json_atomic(path, rec);
    json_decref(rec);
    return rc;
}

/* Adds the track's record to done (for --json); 0 when it passed, 1 when a spec failed. */
static int collect(const char *dir, json_t *done)
{
    char path[BPATH + 512];
    snprintf(path, sizeof path, "%s/" LATHE_BATCH_RECORD, dir);
    json_t *rec = json_load_file(path, 0, NULL);
    int pass = json_is_true(json_object_get(rec, "pass"));
    if (rec)
        json_array_append_new(done, rec);
    return pass ? 0 : 1;
}

static int run_track(const lathe_options *o, const batch_opts *b, const char *chain,
                     const track *k, const char *dir, json_t *done)
{
    char stamp[33];
    track_stamp(k, o, b, chain, stamp);
    if (up_to_date(dir, stamp)) {
        if (!o->quiet && !o->json)
            printf("%s: up to date\n", k->stem);
        return collect(dir, done);
    }
    lathe_options to = *o;
    to.out_dir = dir;
    to.quiet = 1;
    to.json = 0;
    if (o->n_defines + k->n_defines > LATHE_MAX_DEFINES - 8) {
        fprintf(stderr, "lathe batch: %s: too many -D values and columns\n", k->stem);
        return 2;
    }
    for (int i = 0; i < k->n_defines; i++)
        to.defines[to.n_defines++] = k->defines[i];
    master_opts m = b->m;
    json_t *runs = json_array();
    int all_pass = 1, code = lathe_cli_ensure_dir(dir);
    if (!code)
        code = lathe_cli_master_track(&to, &m, chain, k->file, runs, &all_pass);
    json_t *run = json_array_size(runs) ? json_array_get(runs, json_array_size(runs) - 1) : NULL;
    int rc = record(dir, k, stamp, code, code ? NULL : run);
    if (!rc)
        collect(dir, done);
    if (!o->quiet && !o->json)
        printf("%s: %s\n", k->stem, code ? "FAILED" : all_pass ? "pass" : "spec failed");
    fflush(stdout); /* a cluster's log shows progress as it happens */
    json_decref(runs);
    return code ? code : rc ? rc : all_pass ? 0 : 1;
}

/* Every track of the catalogue has a record: this shard finished last (or the others did
 * earlier); merging twice writes the same files. */
static int all_recorded(const char *out, const track *t, int n)
{
    for (int i = 0; i < n; i++) {
        char path[BPATH];
        snprintf(path, sizeof path, "%s/%s/" LATHE_BATCH_RECORD, out, t[i].stem);
        if (access(path, F_OK) != 0)
            return 0;
    }
    return 1;
}

static int load_catalogue(const char *cat, track *t, int *n)
{
    struct stat sb;
    if (stat(cat, &sb) != 0) {
        fprintf(stderr, "lathe batch: %s: %s\n", cat, strerror(errno));
        return 3;
    }
    int code = S_ISDIR(sb.st_mode) ? read_folder(cat, t, n) : read_csv(cat, t, n);
    if (!code && *n == 0) {
        fprintf(stderr, "lathe batch: %s: no tracks\n", cat);
        code = 2;
    }
    for (int i = 0; !code && i < *n; i++) {
        for (int j = 0; j < i; j++)
            if (strcmp(t[i].stem, t[j].stem) == 0) {
                fprintf(stderr, "lathe batch: %s: two tracks named '%s' (give a stem column)\n", cat, t[i].stem);
                return 2;
            }
        char err[LATHE_ERR_MAX];
        lathe_audio_reader *rd;
        lathe_audio_info info;
        if (lathe_audio_reader_open(t[i].file, &rd, &info, err, sizeof err) != LATHE_OK) {
            fprintf(stderr, "lathe: %s\n", err);
            return 3;
        }
        lathe_audio_reader_free(rd);
        t[i].seconds = info.format.rate ? (double)info.format.frames / info.format.rate : 0;
    }
    return code;
}

int lathe_cmd_batch(int argc, char **argv)
{
    lathe_options o;
    batch_opts b = {0};
    if (lathe_options_parse(&o, argc, argv, batch_option, &b))
        return 2;
    if (b.merge && o.n_positional == 0)
        return lathe_batch_merge(b.merge, o.quiet);
    if (o.n_positional != 1 || !o.out_dir || b.merge || b.m.album) {
        fprintf(stderr, "usage: lathe batch CATALOGUE.csv|FOLDER -o DIR [--shard I/N | --shards N] "
                        "[--chain FILE] [--deliver LIST] [--target LUFS | --keep-level] "
                        "[-D key=value]... [--cache DIR] [--cache-remote URL] [--json] [--quiet]\n"
                        "       lathe batch --merge DIR\n");
        return 2;
    }
    int index, count;
    if (lathe_cli_master_check(&b.m, &o) || pick_shard(&b, &index, &count))
        return 2;
    char chain[PATH_MAX];
    if (b.m.chain)
        snprintf(chain, sizeof chain, "%s", b.m.chain);
    else if (lathe_lua_find_chain("master.lua", chain, sizeof chain) != 0) {
        fprintf(stderr, "lathe batch: no chains/master.lua (set LATHE_CHAINS or use --chain)\n");
        return 2;
    }
    track *t = calloc(MAX_TRACKS, sizeof *t);
    int n = 0, code = t ? load_catalogue(o.positional[0], t, &n) : 3;
    if (!code)
        code = split(t, n, count);
    if (!code)
        code = lathe_cli_ensure_dir(o.out_dir);
    int worst = code;
    json_t *done = json_array();
    for (int i = 0; !code && i < n && !*lathe_cli_cancel_flag(); i++) {
        if (t[i].shard != index)
            continue;
        char dir[BPATH];
        snprintf(dir, sizeof dir, "%s/%s", o.out_dir, t[i].stem);
        int rc = run_track(&o, &b, chain, &t[i], dir, done);
        if (rc > worst)
            worst = rc;
    }
    if (!code && !*lathe_cli_cancel_flag() && all_recorded(o.out_dir, t, n)) {
        int rc = lathe_batch_merge(o.out_dir, o.quiet || o.json);
        if (rc > worst)
            worst = rc;
    }
    if (o.json) { /* this shard's tracks, as their records */
        json_t *doc = json_pack("{s:i, s:i, s:o}", "shard", index, "shards", count, "tracks", done);
        json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
        json_decref(doc);
    } else
        json_decref(done);
    for (int i = 0; t && i < n; i++) {
        free(t[i].file);
        free(t[i].stem);
        for (int j = 0; j < t[i].n_defines; j++)
            free(t[i].defines[j]);
    }
    free(t);
    return worst;
}

/* Out-of-memory fault injection (SQLite style): fail the Nth allocation of the engine's hook for
 * N = 1, 2, ... until the run no longer reaches N, for a graph built with the C API (rendered
 * without a cache and with one) and for a script (the Lua state's own allocations included: Lua
 * answers a failed one with a full collection and a retry, or a memory error). Every failure must come back as an error
 * status with a message, leave no temp file or spill folder, put only complete files at final
 * paths and leave the cache valid; under ASan (make test SANITIZE=1) nothing may leak. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "cachecheck.h"
#include "lathe/lathe.h"
#include "nodes/registry.h"
#include "lua/lathe_lua.h"
#include "engine/params.h"
#include "measure/analysis.h"

#include <sndfile.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[512], out_a[700], out_b[700], tmp[600], cache_dir[600];
static long calls, fail_at;

static int hook(void *ud, size_t size)
{
    (void)ud;
    (void)size;
    return ++calls != fail_at;
}

static void arm(long n)
{
    calls = 0;
    fail_at = n;
    lathe_set_allocator(hook, NULL);
}

static void disarm(void)
{
    lathe_set_allocator(NULL, NULL);
}

static void write_input(int N)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/in.wav", dir);
    SF_INFO info = {.samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    float *x = malloc(sizeof(float) * 2 * (size_t)N);
    for (int i = 0; i < N; i++)
        x[2 * i] = x[2 * i + 1] = (float)(0.25 * sin(2.0 * M_PI * 997.0 * i / 48000.0));
    sf_writef_float(sf, x, N);
    sf_close(sf);
    free(x);
}

static void make_input(void)
{
    char path[1024];
    write_input(30000); /* 0.625 s: above the 400 ms a loudness measurement needs */
    snprintf(path, sizeof path, "%s/small.lua", dir);
    FILE *f = fopen(path, "w");
    fputs("local m = source('in.wav'):gain{gain_db = -2}\n"
          "output(m:normalize{target_lufs = -20}, 'a.wav', {bits = 24})\n"
          "output(m:eq{{type = 'bell', freq_hz = 1000, gain_db = 2}}, 'b.wav', {bits = 16})\n",
          f);
    fclose(f);
}

static int add_dsp(lathe_graph *g, const char *type, const char *pname, double v, int input,
                   int *out)
{
    const lathe_node_desc *d = lathe_registry_find(type);
    unsigned char params[4096];
    char err[256];
    if (!d || d->params_size > sizeof params)
        return LATHE_ERR_INTERNAL;
    lathe_params_defaults(d->params, params);
    if (pname && lathe_param_set_number(lathe_params_find(d->params, pname), params, v, err,
                                        sizeof err) != LATHE_OK)
        return LATHE_ERR_PARAM;
    return lathe_graph_add_node(g, d, params, &input, 1, "test", out);
}

/* The C API graph: source -> gain (a branch point) -> normalize (a barrier) and -> gain. */
static int run_api(int with_cache)
{
    lathe_graph *g = NULL;
    lathe_cache *cache = NULL;
    char path[1024], err[512];
    int src, gn, nm, g2, rc;
    if ((rc = lathe_graph_new(&g)) != LATHE_OK)
        return rc;
    snprintf(path, sizeof path, "%s/in.wav", dir);
    lathe_output_config oc = {.bits = 24};
    if ((rc = lathe_graph_add_source(g, path, "test", &src)) != LATHE_OK
        || (rc = add_dsp(g, "gain", "gain_db", -2.0, src, &gn)) != LATHE_OK
        || (rc = add_dsp(g, "normalize", "target_lufs", -20.0, gn, &nm)) != LATHE_OK
        || (rc = add_dsp(g, "gain", "gain_db", -6.0, gn, &g2)) != LATHE_OK
        || (rc = lathe_graph_add_output(g, nm, out_a, &oc, "test")) != LATHE_OK
        || (rc = lathe_graph_add_output(g, g2, out_b, &oc, "test")) != LATHE_OK)
        goto done;
    if (with_cache && (rc = lathe_cache_open(cache_dir, 0, &cache, err, sizeof err)) != LATHE_OK)
        goto done;
    lathe_render_config cfg = lathe_render_config_default();
    cfg.cache = cache;
    cfg.tmp_dir = tmp;
    rc = lathe_render(g, &cfg);
    if (rc != LATHE_OK && getenv("ALLOC_FAULTS_VERBOSE"))
        fprintf(stderr, "  render: %d %s\n", rc, lathe_graph_error(g));
    if (rc != LATHE_OK && !lathe_graph_error(g)[0])
        rc = LATHE_ERR_INTERNAL; /* an error must say what failed */
done:
    lathe_cache_free(cache);
    lathe_graph_free(g);
    return rc;
}

static int run_script(int unused)
{
    (void)unused;
    lathe_graph *g = NULL;
    char script[700], err[1024];
    snprintf(script, sizeof script, "%s/small.lua", dir);
    int rc = lathe_graph_new(&g);
    if (rc != LATHE_OK)
        return rc;
    lathe_script_config sc = {.script_path = script, .out_dir = dir};
    rc = lathe_script_run(&sc, g, err, sizeof err);
    if (rc == LATHE_OK) {
        lathe_render_config cfg = lathe_render_config_default();
        cfg.tmp_dir = tmp;
        rc = lathe_render(g, &cfg);
    } else if (!err[0]) {
        rc = LATHE_ERR_INTERNAL;
    }
    lathe_graph_free(g);
    return rc;
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* No temp file beside the outputs, no spill folder, and a file at a final path only if whole. */
static int clean_after(const char *a, const char *b, long ref_a, long ref_b)
{
    int ok = 1, n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        ok &= strstr(e->d_name, "lathe-tmp") == NULL;
    if (d)
        closedir(d);
    d = opendir(tmp);
    while (d && (e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    long sa = file_size(a), sb = file_size(b);
    return ok && n == 0 && (sa < 0 || sa == ref_a) && (sb < 0 || sb == ref_b);
}

static void sweep(const char *what, int (*run)(int), int arg, const char *a, const char *b)
{
    tu_run("rm -rf %s; mkdir -p %s", cache_dir, cache_dir);
    unlink(a);
    unlink(b);
    CHECK(run(arg) == LATHE_OK, "%s: runs without faults", what);
    long ref_a = file_size(a), ref_b = file_size(b);
    long n, total = 0;
    int errors_ok = 1, clean_ok = 1, cache_ok = 1, failed = 0;
    for (n = 1; n < 20000; n++) {
        unlink(a);
        unlink(b);
        if (arg)
            lathe_cache_clear(cache_dir);
        arm(n);
        int rc = run(arg);
        total = calls;
        disarm();
        if (rc != LATHE_OK) {
            failed++;
            errors_ok &= rc < 0;
        }
        if (!clean_after(a, b, ref_a, ref_b)) {
            clean_ok = 0;
            fprintf(stderr, "  %s: failing allocation %ld left debris or a partial file\n", what, n);
        }
        cc_result cr;
        if (arg && (cc_verify(cache_dir, &cr) != 0 || cr.bad || cr.temps)) {
            cache_ok = 0;
            fprintf(stderr, "  %s: failing allocation %ld left a bad cache (%d bad, %d temps)\n",
                    what, n, cr.bad, cr.temps);
        }
        if (total < n)
            break; /* the Nth allocation was never reached: every one has been failed once */
    }
    printf("%s: %ld allocations, each failed once: %d runs returned an error\n", what, n - 1, failed);
    CHECK(n > 10 && total < n, "%s: swept every allocation (%ld)", what, n - 1);
    CHECK(errors_ok, "%s: every failure came back as an error status", what);
    CHECK(failed > 0, "%s: failures were reported (%d)", what, failed);
    CHECK(clean_ok, "%s: no temp file, spill folder or partial output after any failure", what);
    if (arg)
        CHECK(cache_ok, "%s: the cache verifies after every failure", what);
}

static void test_no_cycles(void)
{
    /* A node's inputs must exist when it is made, so the API cannot build a cycle. */
    lathe_graph *g;
    int src, id, self = 1;
    char path[1024];
    snprintf(path, sizeof path, "%s/in.wav", dir);
    CHECK(lathe_graph_new(&g) == LATHE_OK && lathe_graph_add_source(g, path, NULL, &src) == LATHE_OK,
          "graph with a source");
    const lathe_node_desc *gain = lathe_registry_find("gain");
    unsigned char params[256];
    lathe_params_defaults(gain->params, params);
    CHECK(lathe_graph_add_node(g, gain, params, &self, 1, NULL, &id) == LATHE_ERR_PARAM
              && strstr(lathe_graph_error(g), "not a node"),
          "a node fed from a node not yet made (itself) is refused: %s", lathe_graph_error(g));
    lathe_graph_free(g);
}

/* Everything the render loop needs is sized before the pass from the known lengths: a source
 * 176 times longer (past the 1024 windows a level series once started with) makes no more
 * allocations through the engine's hook. A count that grew with the length would be an
 * allocation per block or per window. */
static void test_loop_allocates_nothing(void)
{
    long counts[2];
    const int frames[2] = {30000, 176 * 30000}; /* 0.6 s and 110 s */
    for (int i = 0; i < 2; i++) {
        write_input(frames[i]);
        arm(-1); /* count, never fail */
        int rc = run_api(0);
        disarm();
        counts[i] = rc == LATHE_OK ? calls : -1;
    }
    CHECK(counts[0] > 0 && counts[0] == counts[1],
          "allocations for 0.6 s and for 110 s of audio: %ld and %ld", counts[0], counts[1]);
    write_input(frames[0]);
}

/* The measuring room allocates through the same hook. A signal with every kind of finding (a
 * click, a clipped run, an anti-phase second, silence at both ends) is measured with the series
 * reserved and unreserved; failing any one allocation must give -1 or a result identical to the
 * unfailed one, byte for byte once packed: never a result missing a finding or a series. */
#define M_FRAMES (12 * 48000)
static float m_l[M_FRAMES], m_r[M_FRAMES];

static void make_measure_signal(void)
{
    for (int i = 0; i < M_FRAMES; i++) {
        double t = (double)i / 48000.0, x = t < 0.5 || t > 11.5 ? 0.0 : 0.3 * sin(2 * M_PI * 440 * t);
        m_l[i] = (float)x;
        m_r[i] = (float)(t >= 5.0 && t < 6.2 ? -x : x);
    }
    m_l[3 * 48000] += 0.5f; /* a click */
    for (int i = 8 * 48000; i < 8 * 48000 + 40; i++)
        m_l[i] = m_r[i] = 1.0f; /* a clipped run */
}

/* Equal where a partial result would differ: the findings, the series and the headline levels
 * (packed bytes would also compare padding and the unused tails of message buffers). */
static int results_equal(const lathe_analysis_result *x, const lathe_analysis_result *y)
{
    if (x->n_findings != y->n_findings || x->n_short_term != y->n_short_term
        || x->n_peak != y->n_peak || x->n_clicks != y->n_clicks
        || memcmp(&x->integrated_lufs, &y->integrated_lufs, sizeof(double))
        || memcmp(&x->lra_lu, &y->lra_lu, sizeof(double))
        || memcmp(&x->true_peak_dbtp, &y->true_peak_dbtp, sizeof(double))
        || memcmp(x->short_term_lufs, y->short_term_lufs, x->n_short_term * sizeof(double))
        || memcmp(x->peak_dbfs, y->peak_dbfs, x->n_peak * sizeof(double)))
        return 0;
    for (size_t i = 0; i < x->n_findings; i++)
        if (strcmp(x->findings[i].code, y->findings[i].code)
            || strcmp(x->findings[i].message, y->findings[i].message))
            return 0;
    return 1;
}

/* Measures, packs and unpacks (the cache's round trip); *out is the unpacked result. */
static int measure_once(int reserve, lathe_analysis_result **out)
{
    lathe_analysis *a;
    lathe_analysis_result *r = NULL;
    void *packed = NULL;
    size_t len;
    if (lathe_analysis_new(48000, 2, &a) != 0)
        return LATHE_ERR_NOMEM;
    int rc = reserve ? lathe_analysis_reserve(a, M_FRAMES) : 0;
    for (int i = 0; rc == 0 && i < M_FRAMES; i += 4096) {
        const float *ch[2] = {m_l + i, m_r + i};
        lathe_analysis_add(a, ch, (uint32_t)(M_FRAMES - i < 4096 ? M_FRAMES - i : 4096));
    }
    rc = rc == 0 ? lathe_analysis_finish(a, &r) : rc;
    lathe_analysis_free(a);
    rc = rc == 0 ? lathe_analysis_result_pack(r, &packed, &len) : rc;
    lathe_analysis_result_free(r);
    rc = rc == 0 ? lathe_analysis_result_unpack(packed, len, out) : rc;
    free(packed);
    return rc == 0 ? LATHE_OK : LATHE_ERR_NOMEM;
}

static void test_measure_sweep(int reserve)
{
    lathe_analysis_result *ref = NULL, *got;
    CHECK(measure_once(reserve, &ref) == LATHE_OK && ref->n_findings >= 4,
          "measuring runs without faults (%zu findings)", ref ? ref->n_findings : 0);
    long n;
    int failed = 0, same = 1;
    for (n = 1; ref && n < 5000; n++) {
        got = NULL;
        arm(n);
        int rc = measure_once(reserve, &got);
        long total = calls;
        disarm();
        if (rc != LATHE_OK)
            failed++;
        else if (!results_equal(got, ref)) {
            same = 0;
            fprintf(stderr, "  measuring: failing allocation %ld gave a different result\n", n);
        }
        lathe_analysis_result_free(got);
        if (total < n)
            break;
    }
    printf("measuring (%s): %ld allocations, each failed once: %d runs returned an error\n",
           reserve ? "reserved" : "unreserved", n - 1, failed);
    CHECK(n > 10 && failed > 0, "measuring: every allocation swept (%ld), failures reported (%d)",
          n - 1, failed);
    CHECK(same, "measuring: a run that succeeded despite a failed allocation is complete");
    lathe_analysis_result_free(ref);
}

int main(void)
{
    tu_tmpdir(dir, sizeof dir);
    snprintf(out_a, sizeof out_a, "%s/a.wav", dir);
    snprintf(out_b, sizeof out_b, "%s/b.wav", dir);
    snprintf(tmp, sizeof tmp, "%s/tmp", dir);
    snprintf(cache_dir, sizeof cache_dir, "%s/cache", dir);
    tu_run("mkdir -p %s", tmp);
    make_input();
    test_no_cycles();
    sweep("C API graph, no cache", run_api, 0, out_a, out_b);
    sweep("C API graph, with a cache", run_api, 1, out_a, out_b);
    sweep("script", run_script, 0, out_a, out_b);
    test_loop_allocates_nothing();
    make_measure_signal();
    test_measure_sweep(1);
    test_measure_sweep(0);
    tu_run("rm -rf %s", dir);
    return tu_done();
}

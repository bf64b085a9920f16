/* `lathe master` and `lathe check` as a user runs them: one synthesized 96 kHz programme in,
 * four deliverables out, each with its profile's rate, word length and container, each passing
 * its spec, each re-measured with libebur128; the source decoded once and the shared chain run
 * once; and `lathe check` failing the files each spec must refuse, naming rule and value. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>
#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static json_t *load_json(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, name);
    json_error_t e;
    json_t *j = json_load_file(path, 0, &e);
    CHECK(j != NULL, "%s is JSON (%s)", name, e.text);
    return j;
}

static double jnum(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : (double)NAN;
}

/* A dense 12 s programme at 96 kHz (bass, tone, pink noise, about -9.5 LUFS) with three short
 * +6 dBFS bursts, so every ceiling has peaks to catch after the turn-down to -14 LUFS. */
static const char *programme =
    "local r, d = 96000, 12\n"
    "local parts = { sine{rate = r, freq_hz = 55, amplitude_db = -8, duration_s = d},\n"
    "  sine{rate = r, freq_hz = 440, amplitude_db = -14, duration_s = d},\n"
    "  noise{rate = r, color = 'pink', amplitude_db = -20, duration_s = d, seed = 7} }\n"
    "for _, t in ipairs({2, 5, 8}) do\n"
    "  parts[#parts + 1] = sine{rate = r, freq_hz = 2000, amplitude_db = 6, duration_s = 0.03}\n"
    "    :fade{in_ms = 2, out_ms = 20}:pad{head_frames = t * r, tail_frames = (d - t) * r - 2880}\n"
    "end\n"
    "output(mix(table.unpack(parts)):fade{in_ms = 50, out_ms = 500}, 'prog.wav', {bits = 32})\n";

typedef struct expect {
    const char *name, *file;
    int major, sub, rate;
    double ceiling;
} expect;

static const expect outs[] = {
    {"streaming", "out/prog.streaming.flac", SF_FORMAT_FLAC, SF_FORMAT_PCM_24, 48000, -1.0},
    {"cd", "out/prog.cd.wav", SF_FORMAT_WAV, SF_FORMAT_PCM_16, 44100, -0.3},
    {"vinyl", "out/prog.vinyl.wav", SF_FORMAT_WAV, SF_FORMAT_PCM_24, 96000, 0.0},
    {"hires", "out/prog.hires.flac", SF_FORMAT_FLAC, SF_FORMAT_PCM_24, 96000, -1.0},
};

static void check_output(const expect *e, const json_t *o)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, e->file);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    CHECK(sf != NULL, "%s written", e->file);
    if (!sf)
        return;
    sf_close(sf);
    CHECK((info.format & SF_FORMAT_TYPEMASK) == e->major, "%s container", e->name);
    CHECK((info.format & SF_FORMAT_SUBMASK) == e->sub, "%s word length", e->name);
    CHECK(info.samplerate == e->rate, "%s rate %d, want %d", e->name, info.samplerate, e->rate);
    CHECK(info.channels == 2, "%s stereo", e->name);
    const json_t *spec = json_object_get(o, "spec");
    CHECK(json_is_true(json_object_get(spec, "pass")), "%s passes its spec in the master report",
          e->name);
    double lufs, tp;
    long frames;
    ct_ebur128(e->file, &lufs, &tp, &frames);
    if (strcmp(e->name, "cd") == 0)
        CHECK(frames % 588 == 0, "cd length %ld frames is whole sectors", frames);
#ifdef LATHE_HAVE_EBUR128
    double reported = jnum(o, "integrated_lufs");
    CHECK(tp <= e->ceiling, "%s libebur128 true peak %.3f dBTP <= %.1f", e->name, tp, e->ceiling);
    CHECK_NEAR(lufs, reported, 0.1, "libebur128 loudness vs the report");
    CHECK_NEAR(jnum(spec, "integrated_lufs"), lufs, 0.1, "libebur128 loudness vs the spec verdict");
    printf("%-9s libebur128: %.2f LUFS (report %.2f), %.2f dBTP (ceiling %.1f)\n", e->name, lufs,
           reported, tp, e->ceiling);
#endif
    char args[1200];
    snprintf(args, sizeof args, "check %s --spec %s", e->file, e->name);
    CHECK(ct_lathe_to(args, "check.txt") == 0, "lathe check %s --spec %s passes", e->file, e->name);
}

/* Counts nodes of a type (made in the given script, NULL: anywhere) and how many of them ran. */
/* The first line of $LATHE_SRC/path holding needle (0 when none). */
static int line_of(const char *path, const char *needle)
{
    char full[1024], buf[1024];
    const char *src = getenv("LATHE_SRC");
    snprintf(full, sizeof full, "%s/%s", src ? src : ".", path);
    FILE *f = fopen(full, "r");
    int n = 0, found = 0;
    while (f && !found && fgets(buf, sizeof buf, f)) {
        n++;
        found = strstr(buf, needle) != NULL;
    }
    if (f)
        fclose(f);
    return found ? n : 0;
}

static int count_nodes(const json_t *nodes, const char *type, const char *origin, int *ran)
{
    int n = 0;
    *ran = 0;
    size_t i;
    json_t *nd;
    json_array_foreach(nodes, i, nd) {
        const char *o = json_string_value(json_object_get(nd, "origin"));
        if (strcmp(json_string_value(json_object_get(nd, "type")), type) != 0)
            continue;
        if (origin && (!o || !strstr(o, origin)))
            continue;
        n++;
        *ran += json_is_true(json_object_get(nd, "ran"));
        CHECK(json_is_string(json_object_get(nd, "why")), "node %zu says why it ran", i);
    }
    return n;
}

/* out/<stem>.report.html per mix: written, named in the JSON, listing every deliverable. */
static void check_report_html(const json_t *j)
{
    const char *named = json_string_value(json_object_get(j, "report_html"));
    CHECK(named && strstr(named, "out/prog.report.html"), "JSON names the report: %s",
          named ? named : "(none)");
    char *html = ct_slurp("out/prog.report.html", NULL);
    CHECK(html && strstr(html, "<html") != NULL, "out/prog.report.html written");
    for (size_t e = 0; html && e < 4; e++)
        CHECK(strstr(html, outs[e].file + 4) != NULL, "report.html lists %s", outs[e].file + 4);
    free(html);
}

static void test_master(void)
{
    ct_write("prog.lua", programme);
    CHECK(ct_lathe_to("render prog.lua --no-cache -q", "render.txt") == 0, "programme rendered");
    int rc = ct_lathe_to("master prog.wav -o out --no-cache --json", "master.json");
    CHECK(rc == 0, "lathe master exits 0 (got %d)", rc);
    json_t *j = load_json("master.json");
    if (!j)
        return;
    const json_t *o = json_object_get(j, "outputs");
    CHECK(json_array_size(o) == 4, "four outputs (got %zu)", json_array_size(o));
    for (size_t k = 0; k < 4 && k < json_array_size(o); k++) {
        const json_t *out = json_array_get(o, k);
        const char *p = json_string_value(json_object_get(out, "path"));
        for (size_t e = 0; e < 4; e++)
            if (p && strstr(p, outs[e].file + 4))
                check_output(&outs[e], out);
    }
    CHECK(json_is_true(json_object_get(j, "pass")), "master report passes");
    check_report_html(j);
    const json_t *nodes = json_object_get(j, "nodes");
    int ran;
    CHECK(count_nodes(nodes, "source", NULL, &ran) == 1 && ran == 1, "the mix is decoded once");
    /* (a stock chain's nodes are placed at the script line that called it: the deliverables'
     * own eqs at master.lua's deliver.all line, the shared one at its own) */
    char shared[64];
    snprintf(shared, sizeof shared, "master.lua:%d", line_of("chains/master.lua", ":eq(bands)"));
    CHECK(count_nodes(nodes, "eq", shared, &ran) == 1 && ran == 1,
          "the shared high-pass exists and runs once (%s)", shared);
    /* One loudness decision (-14 LUFS): a loudness node per deliverable at its output rate;
     * vinyl only turned down, no limiter anywhere else. */
    CHECK(count_nodes(nodes, "loudness", NULL, &ran) == 3 && ran == 3,
          "streaming, cd and hires reach the target with the loudness node");
    CHECK(count_nodes(nodes, "cap", NULL, &ran) == 1 && ran == 1, "vinyl's linear turn-down");
    CHECK(count_nodes(nodes, "limit", NULL, &ran) == 0, "no limiter besides the loudness nodes");
    json_decref(j);
}

/* A file each spec must refuse: the failing rule and its measured value are named. */
static void expect_fail(const char *script, const char *file, const char *spec, const char *rule_name,
                        double measured, double tol, size_t max_failures)
{
    ct_write("bad.lua", script);
    CHECK(ct_lathe_to("render bad.lua --no-cache -q", "render.txt") == 0, "%s rendered", file);
    char args[512];
    snprintf(args, sizeof args, "check %s --spec %s --json", file, spec);
    int rc = ct_lathe_to(args, "check.json");
    CHECK(rc == 1, "check %s --spec %s exits 1 (got %d)", file, spec, rc);
    json_t *j = load_json("check.json");
    if (!j)
        return;
    const json_t *f = json_object_get(j, "failures");
    int found = 0;
    size_t i;
    json_t *x;
    json_array_foreach(f, i, x) {
        if (strcmp(json_string_value(json_object_get(x, "rule")), rule_name) == 0) {
            found = 1;
            CHECK_NEAR(jnum(x, "measured"), measured, tol, "measured value of the failing rule");
            printf("%s --spec %s: %s: %s\n", file, spec, rule_name,
                   json_string_value(json_object_get(x, "message")));
        }
    }
    CHECK(found, "%s fails rule %s", file, rule_name);
    CHECK(json_array_size(f) >= 1 && json_array_size(f) <= max_failures,
          "%s: %zu failures (at most %zu expected)", file, json_array_size(f), max_failures);
    rc = tu_run("cd %s && %s check %s --spec %s >/dev/null 2>&1", ct_dir, ct_bin, file, spec);
    CHECK(rc == 1, "text mode exits 1 too");
    json_decref(j);
}

static void test_check_failures(void)
{
    /* 24-bit for CD: 5.04 s = 378 sectors, quiet, so only the word length is wrong. */
    expect_fail("output(sine{rate = 44100, duration_s = 5.04, amplitude_db = -20}, 'b24.wav', "
                "{bits = 24})\n", "b24.wav", "cd", "bit_depth", 24, 0, 1);
    /* fs/4 at 45 degrees: samples at -2.5 dBFS, true peak +0.5 dBTP. */
    expect_fail("output(sine{rate = 48000, freq_hz = 12000, phase_deg = 45, amplitude_db = 0.5, "
                "duration_s = 5}:fade{in_ms = 10, out_ms = 10}, 'hot.flac', {bits = 24})\n",
                "hot.flac", "streaming", "true_peak", 0.5, 0.2, 3);
    /* 60 Hz with the right channel inverted: correlation -1 below 300 Hz. */
    expect_fail("output(sine{rate = 48000, freq_hz = 60, amplitude_db = -20, duration_s = 5}"
                ":stereo{invert_right = true}, 'phase.wav', {bits = 24})\n",
                "phase.wav", "vinyl", "lf_correlation", -1.0, 0.01, 1);
    /* 5.01 s = 220941 frames = 375 sectors + 441 frames. */
    expect_fail("output(sine{rate = 44100, duration_s = 5.01, amplitude_db = -20}, 'odd.wav', "
                "{bits = 16})\n", "odd.wav", "cd", "sector_multiple", 441, 0, 1);
    CHECK(ct_lathe_to("check odd.wav --spec dvd", "check.txt") == 2, "unknown spec is a usage error");
    CHECK(ct_lathe_to("check odd.wav --spec cd:ceiling_dbtp=x", "check.txt") == 2, "bad override");
}

/* A 48 kHz mix: hi-res keeps 48 kHz (never upsampled) and says the stores' definition is not
 * met; an explicit rate = 96000 is honoured. Exit 0: the note is advisory. */
static void test_hires_rate(void)
{
    ct_write("m48.lua", "output(sine{rate = 48000, duration_s = 5, amplitude_db = -10}, "
                          "'m48.wav', {bits = 24})\n");
    CHECK(ct_lathe_to("render m48.lua --no-cache -q", "render.txt") == 0, "48 kHz mix rendered");
    int rc = ct_lathe_to("master m48.wav -o h --deliver hires --no-cache --json", "h.json");
    CHECK(rc == 0, "hires-only master exits 0 (got %d)", rc);
    json_t *j = load_json("h.json");
    const json_t *o = json_array_get(json_object_get(j, "outputs"), 0);
    CHECK(jnum(o, "rate") == 48000, "hi-res of a 48 kHz mix stays 48 kHz");
    const json_t *rules = json_object_get(json_object_get(o, "spec"), "rules");
    int noted = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
        noted |= strcmp(json_string_value(json_object_get(r, "rule")), "hires_rate") == 0 &&
                 json_is_false(json_object_get(r, "pass")) &&
                 json_is_true(json_object_get(r, "advisory"));
    CHECK(noted, "the hi-res rate rule is reported as not met (advisory)");
    json_decref(j);
    rc = ct_lathe_to("master m48.wav -o h96 --deliver hires -D hires.rate=96000 --no-cache --json",
               "h96.json");
    j = load_json("h96.json");
    o = json_array_get(json_object_get(j, "outputs"), 0);
    CHECK(rc == 0 && jnum(o, "rate") == 96000, "rate = 96000 asked explicitly is honoured");
    json_decref(j);
}

/* The low-end correlation a spec verdict measured; NAN when it has none. */
static double lf_measured(const json_t *verdict)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(verdict, "rules"), i, r)
        if (strcmp(json_string_value(json_object_get(r, "rule")), "lf_correlation") == 0)
            return jnum(r, "measured");
    return NAN;
}

/* The vinyl branch passes its own check on a mix whose low end is in phase but which has
 * out-of-phase content between 150 and 300 Hz (a chain making the side mono below 150 Hz, with
 * the check looking below 300 Hz, failed it: the two use one frequency now). */
static void test_vinyl_own_check(void)
{
    ct_write("oop.lua",
             "local function s(f, db) return sine{rate = 48000, freq_hz = f, amplitude_db = db, "
             "duration_s = 6, channels = 2} end\n"
             "local wide = mix(s(180, -16), s(260, -16)):stereo{invert_right = true}\n"
             "output(mix(s(70, -14), s(1000, -20), wide):fade{in_ms = 50, out_ms = 50}, "
             "'oop.wav', {bits = 24})\n");
    CHECK(ct_lathe_to("render oop.lua --no-cache -q", "render.txt") == 0, "oop mix rendered");
    CHECK(ct_lathe_to("check oop.wav --spec vinyl --json", "oop_in.json") == 1,
          "the mix itself fails the vinyl low-end check");
    int rc = ct_lathe_to("master oop.wav -o v --deliver vinyl --no-cache --json", "v.json");
    json_t *j = load_json("v.json");
    const json_t *o = json_array_get(json_object_get(j, "outputs"), 0);
    const json_t *rules = json_object_get(json_object_get(o, "spec"), "rules");
    int passed = 0;
    size_t i;
    json_t *r;
    json_array_foreach(rules, i, r)
        if (strcmp(json_string_value(json_object_get(r, "rule")), "lf_correlation") == 0) {
            passed = json_is_true(json_object_get(r, "pass"));
            printf("  vinyl branch low-end correlation %+.3f\n", jnum(r, "measured"));
        }
    CHECK(rc == 0 && passed, "the vinyl branch passes its own low-end check (exit %d)", rc);
    json_decref(j);
    /* A render measures the low end as it writes the file, `lathe check` reads the file: the
     * same correlation, here of the failing mix written unchanged. */
    ct_write("oopv.lua",
             "output(source('oop.wav'), 'oopv.wav', {bits = 24, deliverable = 'vinyl'})\n");
    CHECK(ct_lathe_to("render oopv.lua --no-cache --json", "oopv.json") == 1,
          "the mix written as a vinyl deliverable fails its check");
    j = load_json("oopv.json");
    double from_render = lf_measured(
        json_object_get(json_array_get(json_object_get(j, "outputs"), 0), "spec"));
    json_decref(j);
    j = load_json("oop_in.json");
    double from_file = lf_measured(j);
    json_decref(j);
    CHECK(from_render < 0.5 && fabs(from_render - from_file) < 1e-6,
          "the render's low-end correlation %.7f is the file's %.7f", from_render, from_file);
}

/* The mp3 promo profile (issue #17): `--deliver streaming,mp3` writes a 320 kbps MP3 beside
 * the master, at the master's loudness, judged on the decoded file (container mp3, no word
 * length, true peak after decoding under the ceiling), re-measured by libebur128. */
static void test_mp3_promo(void)
{
    int rc = ct_lathe_to("master m48.wav -o p --deliver streaming,mp3 --no-cache --json", "p.json");
    json_t *j = load_json("p.json");
    const json_t *o = json_array_get(json_object_get(j, "outputs"), 1);
    const char *path = json_string_value(json_object_get(o, "path"));
    CHECK(rc == 0 && path && strstr(path, "m48.promo.mp3"), "mp3 promo written and passing "
          "(exit %d, %s)", rc, path ? path : "no second output");
    const json_t *spec = json_object_get(o, "spec");
    CHECK(json_is_true(json_object_get(spec, "pass")), "the promo passes the mp3 spec");
    CHECK(jnum(o, "bitrate_kbps") == 320 || jnum(o, "bits") == 0, "written as lossy 320 kbps");
    double lufs_s, tp_s, lufs_m, tp_m;
    long frames_s, frames_m;
    ct_ebur128("p/m48.streaming.flac", &lufs_s, &tp_s, &frames_s);
    ct_ebur128("p/m48.promo.mp3", &lufs_m, &tp_m, &frames_m);
    printf("  promo %.2f LUFS %.2f dBTP, streaming %.2f LUFS\n", lufs_m, tp_m, lufs_s);
    CHECK(!(fabs(lufs_m - lufs_s) > 0.2), "promo within 0.2 LU of the streaming master");
    CHECK(!(tp_m > -1.0), "decoded promo's true peak under -1 dBTP (%.2f)", tp_m);
    json_decref(j);
    rc = ct_lathe_to("check p/m48.promo.mp3 --spec mp3", "pc.txt");
    char *text = ct_slurp("pc.txt", NULL);
    CHECK(rc == 0 && text && !strstr(text, "0-bit") && strstr(text, "lossy"),
          "lathe check judges the MP3 as lossy, never \"0-bit\" (exit %d)", rc);
    free(text);
    rc = ct_lathe_to("check p/m48.promo.mp3 --spec streaming", "pc.txt");
    text = ct_slurp("pc.txt", NULL);
    CHECK(rc == 1 && text && !strstr(text, "0-bit") && strstr(text, "lossy mp3"),
          "against a PCM spec the MP3 fails as lossy, not as \"0-bit\" (exit %d)", rc);
    free(text);
    /* A key the profile lacks is refused with the keys it has. */
    rc = ct_lathe_to("check p/m48.streaming.flac --spec streaming:ceiling=-2", "pc.txt");
    CHECK(rc == 2 && ct_stderr_has("unknown setting 'ceiling'") &&
          ct_stderr_has("valid: ") && ct_stderr_has("ceiling_dbtp"),
          "unknown setting lists the valid keys (exit %d)", rc);
}

/* chains/deliver.lua once carried two notes about engine bugs (issue #17); neither reproduces,
 * the notes are gone and this keeps both shapes working: output{format = "flac"} writes FLAC,
 * and a cap fed by a shared cap (the hi-res branch before it took one cap with both bounds)
 * gives the samples of the one cap, to float rounding. */
static void test_former_engine_bugs(void)
{
    ct_write("bursts.lua",
             "local r, d = 48000, 6\n"
             "local parts = { sine{rate = r, freq_hz = 55, amplitude_db = -8, duration_s = d},\n"
             "  noise{rate = r, color = 'pink', amplitude_db = -20, duration_s = d, seed = 7},\n"
             "  sine{rate = r, freq_hz = 2000, amplitude_db = 6, duration_s = 0.03}\n"
             "    :fade{in_ms = 2, out_ms = 20}:pad{head_frames = 2 * r, tail_frames = 4 * r - 1440} }\n"
             "output(mix(table.unpack(parts)), 'bursts.wav', {bits = 32})\n");
    CHECK(ct_lathe_to("render bursts.lua --no-cache -q", "render.txt") == 0, "bursts rendered");
    ct_write("twocaps.lua",
             "local m = source('bursts.wav')\n"
             "local shared = m:cap{max_lufs = -14, max_dbtp = 6}\n"
             "output(shared:limit{ceiling_dbtp = -1.02}, 'tca.flac', {format = 'flac', bits = 24})\n"
             "output(shared:cap{max_lufs = -14, max_dbtp = 0}:limit{ceiling_dbtp = -1.02}, "
             "'tcb.wav', {bits = 32})\n"
             "output(m:cap{max_lufs = -14, max_dbtp = 0}:limit{ceiling_dbtp = -1.02}, 'tcc.wav', "
             "{bits = 32})\n");
    int rc = ct_lathe_to("render twocaps.lua --no-cache -q", "render.txt");
    CHECK(rc == 0, "shared-cap script renders (exit %d)", rc);
    float *a = NULL, *b = NULL, *c = NULL;
    int cha = 0, chb = 0, chc = 0, fa = 0, fb = 0, fc = 0;
    long na = ct_read_audio("tca.flac", &a, &cha, &fa);
    long nb = ct_read_audio("tcb.wav", &b, &chb, &fb);
    long nc = ct_read_audio("tcc.wav", &c, &chc, &fc);
    CHECK(na > 0 && (fa & SF_FORMAT_TYPEMASK) == SF_FORMAT_FLAC &&
          (fa & SF_FORMAT_SUBMASK) == SF_FORMAT_PCM_24, "format = 'flac' writes 24-bit FLAC");
    double worst = nb > 0 && nb == nc && chb == chc ? 0 : (double)INFINITY;
    for (long i = 0; worst < (double)INFINITY && i < nb * chb; i++)
        worst = fmax(worst, fabs((double)b[i] - (double)c[i]));
    /* two gains in float against one: rounding, nothing audible (-120 dBFS) */
    CHECK(worst <= 1e-6, "cap after a shared cap == one cap with both bounds (max diff %.3g)",
          worst);
    double lufs, tp;
    long frames;
    ct_ebur128("tcb.wav", &lufs, &tp, &frames);
    CHECK(!(tp > -1.0) && !(lufs > -13.9), "two-cap branch under -1 dBTP (%.2f) and -14 LUFS "
          "(%.2f)", tp, lufs);
    free(a), free(b), free(c);
}

int main(void)
{
    ct_setup();
    test_master();
    test_check_failures();
    test_hires_rate();
    test_mp3_promo();
    test_former_engine_bugs();
    test_vinyl_own_check();
    ct_cleanup();
    return tu_done();
}

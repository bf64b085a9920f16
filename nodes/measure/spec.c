/* The rules that judge a measured file against a deliverable profile (spec.h). Numbers
 * come from specs.md: the table at the top, §1.1 (platforms), §2 (CD), §3 (vinyl), §4 (hi-res),
 * §6.10 (codec round trip), §6.11 (format checks). */
#include "spec.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A loudness a hair over the bound (measurement rounding) is not "louder". */
#define LOUD_TOL_LU 0.1


lathe_spec_wants lathe_spec_wants_of(const lathe_spec_profile *p)
{
    return (lathe_spec_wants){.lf_hz = lathe_spec_get(p, "lf_hz"),
                              .codec_check = lathe_spec_get(p, "codec_check") == 1};
}



/* ---- Rules ----------------------------------------------------------------------------------- */

typedef struct verdict {
    json_t *rules, *failures, *notes;
} verdict;

static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* One rule: pass says whether it holds; advisory rules report but never fail the spec. */
static void rule(verdict *v, const char *name, double measured, const char *op, double limit,
                 int pass, int advisory, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

static void rule(verdict *v, const char *name, double measured, const char *op, double limit,
                 int pass, int advisory, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *r = json_pack("{s:s, s:o, s:s, s:o, s:b, s:b, s:s}", "rule", name, "measured",
                          num(measured), "op", op, "limit", num(limit), "pass", pass,
                          "advisory", advisory, "message", msg);
    json_array_append(v->rules, r);
    if (!pass && !advisory)
        json_array_append(v->failures, r);
    json_decref(r);
}

static void note(verdict *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(verdict *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_array_append_new(v->notes, json_string(msg));
}

/* Decimals that show why a value failed its limit: 2, or as many as it takes for the two
 * printed numbers to differ (-0.2997 over -0.30 must not read "-0.30 (limit -0.30)"). */
static int decimals_apart(double measured, double limit)
{
    int d = 2;
    while (d < 6 && isfinite(measured) &&
           round(measured * pow(10, d)) == round(limit * pow(10, d)))
        d++;
    return d;
}

static void rule_max(verdict *v, const char *name, double measured, double limit,
                     const char *unit, const char *what)
{
    /* Loudness lands on a bound only to measurement precision (-14.00 reads -13.998). */
    double tol = strcmp(unit, "LUFS") == 0 ? 0.01 : 1e-9;
    int ok = isfinite(measured) ? measured <= limit + tol : measured < 0;
    int dm = ok ? 2 : decimals_apart(measured, limit);
    rule(v, name, measured, "<=", limit, ok, 0, "%s %.*f %s (limit %.*f %s)%s", what, dm,
         measured, unit, dm, limit, unit, ok ? "" : ": over");
}

static void rule_format(verdict *v, const lathe_spec_profile *p, const lathe_spec_file *info)
{
    int ok = strcmp(info->container, p->container) == 0;
    rule(v, "format", ok, "==", 1, ok, 0, "container %s (expected %s)", info->container,
         p->container);
    double bits = lathe_spec_get(p, "bits");
    if (bits == 0) { /* lossy: a decoder makes the samples, there is no word length to check */
        rule(v, "bit_depth", info->bits, "==", 0, info->bits == 0, 0, "%s",
             info->bits == 0 ? "lossy (no word length)" : "PCM where a lossy file was expected");
        return;
    }
    ok = !info->is_float && info->bits == (int)bits;
    if (info->bits == 0) /* a lossy file has no word length: say what it is, not "0-bit" */
        rule(v, "bit_depth", 0, "==", bits, 0, 0, "lossy %s (expected %d-bit integer PCM)",
             info->container, (int)bits);
    else
        rule(v, "bit_depth", info->bits, "==", bits, ok, 0, "%d-bit%s (expected %d-bit integer)",
             info->bits, info->is_float ? " float" : "", (int)bits);
}

static void rule_rate_range(verdict *v, const lathe_spec_profile *p, double rate)
{
    double lo = lathe_spec_get(p, "min_rate"), hi = lathe_spec_get(p, "max_rate");
    rule(v, "min_rate", rate, ">=", lo, rate >= lo, 0, "%.0f Hz (lowest %.0f Hz)", rate, lo);
    if (isfinite(hi))
        rule(v, "max_rate", rate, "<=", hi, rate <= hi, 0, "%.0f Hz (highest %.0f Hz)", rate, hi);
}

static void rule_codecs(verdict *v, const lathe_spec_extra *x)
{
    for (int i = 0; i < x->n_codecs; i++) {
        const lathe_spec_codec *c = &x->codecs[i];
        char name[48];
        snprintf(name, sizeof name, "codec_%s", c->name);
        if (!c->available) {
            note(v, "%s round trip skipped: %s", c->name, c->note);
            continue;
        }
        double overs = (double)(c->on_sample + c->inter_sample);
        rule(v, name, overs, "==", 0, overs == 0, 0,
             "%s round trip (%.0f kbit/s): %llu on-sample and %llu inter-sample overs, decoded "
             "peak %.2f dBFS, %.2f dBTP%s", c->name, c->kbps, (unsigned long long)c->on_sample,
             (unsigned long long)c->inter_sample, c->sample_peak_dbfs, c->true_peak_dbtp,
             overs == 0 ? "" : ": clips after encoding (lower the ceiling)");
    }
}

/* ---- Platforms (specs.md §1.1) ----------------------------------------------------------------- */

typedef struct platform {
    const char *name;
    double ref_lufs;
    int raises;          /* turns quiet tracks up */
    double headroom_dbtp; /* ... only until the true peak reaches this */
    double peak_dbtp;     /* the platform's own peak recommendation */
} platform;

static const platform platforms[] = {
    {"spotify", -14, 1, -1, -1}, {"apple", -16, 1, -1, -1}, {"youtube", -14, 0, 0, -1},
    {"tidal", -14, 0, 0, -1},    {"deezer", -15, 0, 0, -1}, {"amazon", -14, 0, 0, -2},
};
#define N_PLATFORMS (sizeof platforms / sizeof platforms[0])

static int platform_named(const char *list, const char *name)
{
    size_t n = strlen(name);
    for (const char *s = list; s && *s;) {
        size_t len = strcspn(s, ",");
        if (len == n && strncmp(s, name, n) == 0)
            return 1;
        s += len + (s[len] == ',');
    }
    return 0;
}

int lathe_spec_check_platforms(const char *list, char *bad, size_t n)
{
    for (const char *s = list; s && *s;) {
        size_t len = strcspn(s, ",");
        int found = 0;
        for (size_t i = 0; i < N_PLATFORMS; i++)
            found |= strlen(platforms[i].name) == len && strncmp(s, platforms[i].name, len) == 0;
        if (!found && len) {
            snprintf(bad, n, "%.*s", (int)len, s);
            return -1;
        }
        s += len + (s[len] == ',');
    }
    return 0;
}

/* gain = ref - I; a platform that raises quiet tracks stops at its true-peak headroom. */
static json_t *playback(verdict *v, const char *list, double lufs, double tp)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < N_PLATFORMS; i++) {
        const platform *pf = &platforms[i];
        int named = platform_named(list, pf->name);
        if (list && *list && !named)
            continue;
        double gain = pf->ref_lufs - lufs;
        if (gain > 0 && !pf->raises)
            gain = 0;
        else if (gain > 0)
            gain = fmax(0.0, fmin(gain, pf->headroom_dbtp - tp));
        json_array_append_new(arr, json_pack("{s:s, s:f, s:b, s:o, s:o, s:o}", "platform",
                                             pf->name, "reference_lufs", pf->ref_lufs,
                                             "raises_quiet", pf->raises, "gain_db", num(gain),
                                             "playback_lufs", num(lufs + gain),
                                             "playback_true_peak_dbtp", num(tp + gain)));
        if (named && pf->peak_dbtp < -1) {
            char rn[48];
            snprintf(rn, sizeof rn, "%s_true_peak", pf->name);
            rule_max(v, rn, tp, pf->peak_dbtp, "dBTP", "true peak for this platform");
        }
    }
    return arr;
}

/* ---- Profiles' rule sets ------------------------------------------------------------------------ */

static void check_streaming(verdict *v, const lathe_spec_profile *p,
                            const lathe_analysis_result *r, const lathe_spec_extra *x)
{
    rule_rate_range(v, p, r->rate);
    double loud = lathe_spec_get(p, "loud_above_lufs");
    int is_loud = isfinite(r->integrated_lufs) && r->integrated_lufs > loud + LOUD_TOL_LU;
    double ceil = lathe_spec_get(p, is_loud ? "loud_ceiling_dbtp" : "ceiling_dbtp");
    rule_max(v, "true_peak", r->true_peak_dbtp, ceil, "dBTP",
             is_loud ? "true peak (master louder than the loud threshold)" : "true peak");
    if (lathe_spec_get(p, "codec_check") != 0)
        rule_codecs(v, x);
}

static void check_cd(verdict *v, const lathe_spec_profile *p, const lathe_analysis_result *r)
{
    double rate = lathe_spec_get(p, "rate"), ch = lathe_spec_get(p, "channels");
    rule(v, "rate", r->rate, "==", rate, r->rate == rate, 0, "%u Hz (expected %.0f)", r->rate, rate);
    rule(v, "channels", r->channels, "==", ch, r->channels == ch, 0, "%u channels (expected %.0f)",
         r->channels, ch);
    rule_max(v, "true_peak", r->true_peak_dbtp, lathe_spec_get(p, "ceiling_dbtp"), "dBTP", "true peak");
    double runs = (double)r->clip_runs, max_runs = lathe_spec_get(p, "max_clip_runs");
    rule(v, "clip_runs", runs, "<=", max_runs, runs <= max_runs, 0,
         "%.0f runs of >= 4 full-scale samples", runs);
    double sector = lathe_spec_get(p, "sector_frames");
    double rem = sector >= 1 ? fmod((double)r->frames, sector) : 0;
    rule(v, "sector_multiple", rem, "==", 0, rem == 0, 0,
         "%llu frames = %.0f sectors + %.0f frames (must be whole %.0f-frame sectors)",
         (unsigned long long)r->frames, floor((double)r->frames / sector), rem, sector);
    double min_s = lathe_spec_get(p, "min_track_s");
    rule(v, "min_track_length", r->duration_s, ">=", min_s, r->duration_s >= min_s, 0,
         "%.2f s (shortest %.1f s)", r->duration_s, min_s);
}

static void check_vinyl(verdict *v, const lathe_spec_profile *p, const lathe_analysis_result *r,
                        const lathe_spec_extra *x)
{
    rule_rate_range(v, p, r->rate);
    rule_max(v, "true_peak", r->true_peak_dbtp, lathe_spec_get(p, "ceiling_dbtp"), "dBTP", "true peak");
    rule_max(v, "loudness_max", r->integrated_lufs, lathe_spec_get(p, "max_lufs"), "LUFS",
             "integrated loudness");
    double lo = lathe_spec_get(p, "min_lufs");
    rule(v, "loudness_min", r->integrated_lufs, ">=", lo, !(r->integrated_lufs < lo), 1,
         "integrated %.2f LUFS (cutting rooms like %.0f LUFS or more)", r->integrated_lufs, lo);
    double cmin = lathe_spec_get(p, "lf_corr_min");
    if (x->have_lf)
        rule(v, "lf_correlation", x->lf_corr_min, ">=", cmin, x->lf_corr_min >= cmin, 0,
             "lowest 1 s correlation below %.0f Hz: %+.3f at %.1f s%s", x->lf_hz, x->lf_corr_min,
             x->lf_corr_min_time_s, x->lf_corr_min >= cmin ? ""
             : ": out-of-phase bass (the vinyl branch makes the side mono below lf_hz)");
    else
        note(v, "low-end correlation not measured (not stereo, or no low-end signal)");
    double rec = lathe_spec_get(p, "side_recommended_s"), max = lathe_spec_get(p, "side_max_s");
    rule(v, "side_length", r->duration_s, "<=", max, r->duration_s <= max, 0,
         "side %d:%02d (max %d:%02d)", (int)r->duration_s / 60, (int)r->duration_s % 60,
         (int)max / 60, (int)max % 60);
    rule(v, "side_length_recommended", r->duration_s, "<=", rec, r->duration_s <= rec, 1,
         "side %d:%02d (recommended up to %d:%02d)", (int)r->duration_s / 60,
         (int)r->duration_s % 60, (int)rec / 60, (int)rec % 60);
}

static void check_hires(verdict *v, const lathe_spec_profile *p, const lathe_analysis_result *r)
{
    double lo = lathe_spec_get(p, "min_rate"), hi = lathe_spec_get(p, "hires_rate");
    rule(v, "min_rate", r->rate, ">=", lo, r->rate >= lo, 0, "%u Hz (lowest %.0f Hz)", r->rate, lo);
    rule(v, "hires_rate", r->rate, ">=", hi, r->rate >= hi, 1, "%u Hz%s", r->rate,
         r->rate >= hi ? "" : ": the hi-res stores' definition (above 48 kHz) is not met; "
                              "lathe does not upsample (set rate = 96000 to ask)");
    rule_max(v, "true_peak", r->true_peak_dbtp, lathe_spec_get(p, "ceiling_dbtp"), "dBTP", "true peak");
}

static void check_lossy(verdict *v, const lathe_spec_profile *p, const lathe_analysis_result *r)
{
    rule_rate_range(v, p, r->rate);
    rule_max(v, "true_peak", r->true_peak_dbtp, lathe_spec_get(p, "ceiling_dbtp"), "dBTP",
             "true peak after decoding");
}

int lathe_spec_evaluate(const lathe_spec_profile *p, const char *platform_list,
                        const lathe_analysis_result *r, const lathe_spec_file *file,
                        const lathe_spec_extra *x, json_t **out)
{
    verdict v = {json_array(), json_array(), json_array()};
    json_t *root = json_object();
    json_object_set_new(root, "name", json_string(p->name));
    char bad[64];
    if (lathe_spec_check_platforms(platform_list, bad, sizeof bad) != 0) {
        char msg[192];
        snprintf(msg, sizeof msg, "unknown platform '%s' (spotify, apple, youtube, tidal, deezer, "
                 "amazon)", bad);
        json_object_set_new(root, "error", json_string(msg));
        json_decref(v.rules), json_decref(v.failures), json_decref(v.notes);
        *out = root;
        return -1;
    }
    rule_format(&v, p, file);
    if (r->nonfinite_samples)
        rule(&v, "finite", (double)r->nonfinite_samples, "==", 0, 0, 0, "%llu NaN/Inf samples",
             (unsigned long long)r->nonfinite_samples);
    if (strcmp(p->name, "streaming") == 0)
        check_streaming(&v, p, r, x);
    else if (strcmp(p->name, "cd") == 0)
        check_cd(&v, p, r);
    else if (strcmp(p->name, "vinyl") == 0)
        check_vinyl(&v, p, r, x);
    else if (strcmp(p->name, "mp3") == 0)
        check_lossy(&v, p, r);
    else
        check_hires(&v, p, r);
    json_t *pb = playback(&v, platform_list, r->integrated_lufs, r->true_peak_dbtp);
    if (strcmp(p->name, "streaming") == 0 || strcmp(p->name, "hires") == 0)
        json_object_set_new(root, "playback", pb);
    else
        json_decref(pb);
    json_t *codecs = json_array();
    for (int i = 0; x && i < x->n_codecs; i++) {
        const lathe_spec_codec *c = &x->codecs[i];
        json_array_append_new(codecs, json_pack("{s:s, s:b, s:I, s:I, s:o, s:o, s:o, s:i}",
            "codec", c->name, "available", c->available, "on_sample", (json_int_t)c->on_sample,
            "inter_sample", (json_int_t)c->inter_sample, "sample_peak_dbfs", num(c->sample_peak_dbfs),
            "true_peak_dbtp", num(c->true_peak_dbtp), "kbps", num(c->kbps), "rate", (int)c->rate));
    }
    json_object_set_new(root, "codecs", codecs);
    json_t *settings = json_object();
    for (int i = 0; p->settings[i].key; i++)
        json_object_set_new(settings, p->settings[i].key, json_real(p->settings[i].value));
    int pass = json_array_size(v.failures) == 0;
    json_object_set_new(root, "pass", json_boolean(pass));
    json_object_set_new(root, "integrated_lufs", num(r->integrated_lufs));
    json_object_set_new(root, "true_peak_dbtp", num(r->true_peak_dbtp));
    json_object_set_new(root, "failures", v.failures);
    json_object_set_new(root, "rules", v.rules);
    json_object_set_new(root, "notes", v.notes);
    json_object_set_new(root, "settings", settings);
    *out = root;
    return pass;
}

void lathe_spec_print(FILE *f, const json_t *v)
{
    const char *err = json_string_value(json_object_get(v, "error"));
    if (err) {
        fprintf(f, "  spec %s: error: %s\n", json_string_value(json_object_get(v, "name")), err);
        return;
    }
    fprintf(f, "  spec %s: %s\n", json_string_value(json_object_get(v, "name")),
            json_is_true(json_object_get(v, "pass")) ? "PASS" : "FAIL");
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(v, "rules"), i, r) {
        int pass = json_is_true(json_object_get(r, "pass"));
        int adv = json_is_true(json_object_get(r, "advisory"));
        fprintf(f, "    %-5s %-24s %s\n", pass ? "ok" : adv ? "note" : "FAIL",
                json_string_value(json_object_get(r, "rule")),
                json_string_value(json_object_get(r, "message")));
    }
    json_array_foreach(json_object_get(v, "playback"), i, r)
        fprintf(f, "    play  %-24s %+.1f dB -> %.1f LUFS\n",
                json_string_value(json_object_get(r, "platform")),
                json_number_value(json_object_get(r, "gain_db")),
                json_number_value(json_object_get(r, "playback_lufs")));
    json_array_foreach(json_object_get(v, "notes"), i, r)
        fprintf(f, "    note  %s\n", json_string_value(r));
}

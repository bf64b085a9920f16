/* Lossy outputs as a user writes them: output(x, "a.mp3" | "a.opus" | "a.ogg", {bitrate_kbps})
 * beside a 24-bit FLAC of the same branch. ffmpeg decodes each (an independent decoder) and
 * libebur128 measures what it gives back: the length and loudness of the FLAC, the true peak
 * under -1 dBTP (the branch leaves the codec the 1 dB of headroom the mp3 profile leaves: with
 * a 3 ms attack Opus 160k overshoots this heavily limited noise by 0.53 dB), the bitrate asked
 * for, tags read back by ffprobe; lathe's own report measures the decoded file too. Bad bitrates
 * and rates are refused before anything renders. Skipped (77) without ffmpeg. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>
#ifdef LATHE_HAVE_EBUR128
#include <ebur128.h>
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *script =
    "local x = noise{rate = 48000, color = 'pink', amplitude_db = -12, duration_s = 12, seed = 3}\n"
    "  :eq{ {type = 'highpass', freq_hz = 30, slope_db_oct = 24},\n"
    "       {type = 'lowpass', freq_hz = 15000, slope_db_oct = 48} }:limit{ceiling_dbtp = -2}\n"
    "local tags = {title = 'Nuit Blanche', artist = 'Ünïcode', isrc = 'GBAAA2500001'}\n"
    "output(x, 'a.flac', {bits = 24})\n"
    "output(x, 'a.mp3', {bitrate_kbps = 320, tags = tags})\n"
    "output(x, 'a.opus', {bitrate_kbps = 160, tags = {title = 'Nuit Blanche'}})\n"
    "output(x, 'a.ogg', {bitrate_kbps = 192})\n";

/* Decodes name with ffmpeg to 48 kHz float and measures it with libebur128. */
static int decode(const char *name, double *lufs, double *tp_db, long *frames)
{
    char raw[600];
    snprintf(raw, sizeof raw, "%s/%s.f32", ct_dir, name);
    if (tu_run("ffmpeg -v error -y -i %s/%s -ar 48000 -ac 2 -f f32le %s", ct_dir, name, raw) != 0)
        return -1;
    long len;
    float *x = (float *)ct_slurp(raw, &len);
    if (!x)
        return -1;
    *frames = len / 8;
    *lufs = *tp_db = NAN;
#ifdef LATHE_HAVE_EBUR128
    ebur128_state *st = ebur128_init(2, 48000, EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    ebur128_add_frames_float(st, x, (size_t)*frames);
    double tp = 0, c;
    for (unsigned ch = 0; ch < 2; ch++) {
        ebur128_true_peak(st, ch, &c);
        tp = c > tp ? c : tp;
    }
    ebur128_loudness_global(st, lufs);
    *tp_db = 20 * log10(tp);
    ebur128_destroy(&st);
#endif
    free(x);
    return 0;
}

static double probe_bitrate_kbps(const char *name)
{
    char out[600];
    snprintf(out, sizeof out, "%s/%s.rate", ct_dir, name);
    if (tu_run("ffprobe -v error -show_entries format=bit_rate -of csv=p=0 %s/%s > %s", ct_dir,
               name, out) != 0)
        return NAN;
    char *t = ct_slurp(out, NULL);
    double v = t ? atof(t) / 1000 : (double)NAN;
    free(t);
    return v;
}

static const json_t *output_named(const json_t *run, const char *suffix)
{
    const json_t *outs = json_object_get(run, "outputs");
    for (size_t i = 0; i < json_array_size(outs); i++) {
        const char *p = json_string_value(json_object_get(json_array_get(outs, i), "path"));
        if (p && strlen(p) >= strlen(suffix) && !strcmp(p + strlen(p) - strlen(suffix), suffix))
            return json_array_get(outs, i);
    }
    return NULL;
}

int main(void)
{
    ct_setup();
    if (tu_run("ffmpeg -version >/dev/null 2>&1") != 0) {
        printf("SKIP: ffmpeg not installed (make test installs it)\n");
        ct_cleanup();
        return 77;
    }
    ct_write("lossy.lua", script);
    CHECK(ct_lathe_to("render lossy.lua -o . --no-cache --json", "run.json") == 0, "render");
    char path[600];
    snprintf(path, sizeof path, "%s/run.json", ct_dir);
    json_t *run = json_load_file(path, 0, NULL);
    CHECK(run != NULL, "--json is JSON");

    double ref_lufs, ref_tp;
    long ref_frames;
    CHECK(decode("a.flac", &ref_lufs, &ref_tp, &ref_frames) == 0, "flac decodes");
    CHECK(ref_frames == 12 * 48000, "flac length %ld", ref_frames);
    /* Vorbis at 192k nominal takes 0.3 LU of this pink noise away by itself (ffmpeg's ebur128 on
     * the file says so too: 0.1 at 320k, none at 500k); the 0.2 LU is for MP3 and Opus. */
    static const struct {
        const char *file;
        double kbps, kbps_tol, lu_tol;
    } lossy[] = {{"a.mp3", 320, 2, 0.2}, {"a.opus", 160, 24, 0.2}, {"a.ogg", 192, 96, 0.4}};
    for (int i = 0; i < 3; i++) {
        double lufs, tp;
        long frames;
        CHECK(decode(lossy[i].file, &lufs, &tp, &frames) == 0, "%s decodes", lossy[i].file);
        /* the codecs' own priming and padding: at most one MP3 frame and its decoder delay */
        CHECK(labs(frames - ref_frames) <= 2 * 1152, "%s length %ld, flac %ld", lossy[i].file,
              frames, ref_frames);
#ifdef LATHE_HAVE_EBUR128
        CHECK(fabs(lufs - ref_lufs) <= lossy[i].lu_tol, "%s loudness %.3f LUFS, flac %.3f", lossy[i].file,
              lufs, ref_lufs);
        CHECK(tp <= -1.0 + 1e-9, "%s decoded true peak %.3f dBTP under -1 (branch at -2)",
              lossy[i].file, tp);
        const json_t *o = output_named(run, lossy[i].file);
        const json_t *jtp = json_object_get(o, "true_peak_dbtp");
        CHECK(json_is_number(jtp) && fabs(json_number_value(jtp) - tp) < 0.3,
              "%s: lathe measures the decoded file (%.3f), ffmpeg+libebur128 %.3f", lossy[i].file,
              json_number_value(jtp), tp);
        CHECK(json_integer_value(json_object_get(o, "bitrate_kbps")) == (json_int_t)lossy[i].kbps,
              "%s reports its bitrate", lossy[i].file);
#endif
        double kbps = probe_bitrate_kbps(lossy[i].file);
        CHECK(fabs(kbps - lossy[i].kbps) <= lossy[i].kbps_tol, "%s bitrate %.1f kbps, asked %.0f",
              lossy[i].file, kbps, lossy[i].kbps);
    }
    static const char *const id3[] = {"title=Nuit Blanche", "artist=Ünïcode", "TSRC=GBAAA2500001"};
    for (int i = 0; i < 3; i++)
        CHECK(tu_run("ffprobe -v error -show_entries format_tags -of compact %s/a.mp3 | grep -q '%s'",
                     ct_dir, id3[i]) == 0, "mp3 ID3v2 tag %s read back", id3[i]);
    CHECK(tu_run("ffprobe -v error -show_entries stream_tags -of compact %s/a.opus | grep -qi "
                 "'title=Nuit Blanche'", ct_dir) == 0, "opus title read back");
    json_decref(run);

    /* What the format cannot store is refused before rendering: exit 2, nothing written. */
    static const struct {
        const char *out, *opts, *says;
    } bad[] = {
        {"b.mp3", "{bitrate_kbps = 300}", "not an MP3 rate"},
        {"b.mp3", "{bits = 16}", "bits does not apply"},
        {"b.flac", "{bitrate_kbps = 128}", "bitrate_kbps applies only"},
        {"b.opus", "{bitrate_kbps = 2}", "out of range"},
    };
    for (int i = 0; i < 4; i++) {
        char s[400];
        snprintf(s, sizeof s, "output(sine{rate = 48000, duration_s = 1}, '%s', %s)\n", bad[i].out,
                 bad[i].opts);
        ct_write("bad.lua", s);
        CHECK(ct_lathe("render bad.lua -o bad --no-cache") == 2, "%s %s: exit 2", bad[i].out,
              bad[i].opts);
        CHECK(ct_stderr_has(bad[i].says), "%s: says '%s'", bad[i].out, bad[i].says);
    }
    ct_write("rate.lua", "output(sine{rate = 44100, duration_s = 1}, 'c.opus')\n");
    CHECK(ct_lathe("render rate.lua -o bad --no-cache") == 2 && ct_stderr_has("opus needs 48 kHz"),
          "opus at 44.1 kHz refused, naming the rates");
    CHECK(!ct_exists("bad/b.mp3") && !ct_exists("bad/c.opus"), "nothing written");

    /* AAC/M4A is not read: one line naming what is, exit 3, in every command. */
    CHECK(tu_run("ffmpeg -v error -y -f lavfi -i sine=f=440:d=1 %s/in.m4a", ct_dir) == 0, "m4a made");
    CHECK(ct_lathe("analyze in.m4a") == 3 && ct_stderr_has("convert AAC/M4A"), "analyze m4a: exit 3");
    ct_write("m4a.lua", "output(source('in.m4a'), 'x.wav')\n");
    CHECK(ct_lathe("render m4a.lua -o bad --no-cache") == 3 && ct_stderr_has("lathe reads WAV"),
          "render of an m4a source: exit 3 naming the formats read");
    ct_cleanup();
    return tu_done();
}

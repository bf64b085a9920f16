/* --preview: the source's loudest 30 s and the same stretch of every output, written at one
 * integrated loudness (libebur128 re-measures it), starting at the same moment to the sample,
 * played from report.html by <audio> elements that point at files that exist. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <ebur128.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000

/* 70 s of noise, loud from 30 s to 60 s: the loudest 30 s start at 30 s. */
static void make_source(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/song.wav", ct_dir);
    SF_INFO info = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    float *buf = malloc(sizeof(float) * 2 * RATE);
    uint64_t seed = 3;
    for (int s = 0; s < 70; s++) {
        double amp = s >= 30 && s < 60 ? 0.3 : 0.05;
        for (int i = 0; i < 2 * RATE; i++)
            buf[i] = (float)(amp * tu_rand(&seed));
        sf_writef_float(sf, buf, RATE);
    }
    sf_close(sf);
    free(buf);
}

static double lufs_of(const char *name)
{
    float *x;
    int ch;
    long n = ct_read_audio(name, &x, &ch, NULL);
    SF_INFO info = {0};
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, name);
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (sf)
        sf_close(sf);
    if (n <= 0 || !sf)
        return NAN;
    ebur128_state *st = ebur128_init((unsigned)ch, (unsigned long)info.samplerate, EBUR128_MODE_I);
    ebur128_add_frames_float(st, x, (size_t)n);
    double l = NAN;
    ebur128_loudness_global(st, &l);
    ebur128_destroy(&st);
    free(x);
    return l;
}

static void test_default(void)
{
    ct_write("p.lua", "local x = source('song.wav')\n"
                      "output(x:gain{gain_db = -3}, 'quiet.wav', {bits = 24})\n"
                      "output(x:gain{gain_db = 2}:resample{rate = 44100}, 'loud44.wav', {bits = 32})\n");
    CHECK(ct_lathe_to("render p.lua -o out --no-cache --quiet --preview --json", "p.json") == 0,
          "render --preview exits 0");
    char *j = ct_slurp("p.json", NULL);
    CHECK(j && strstr(j, "\"start_frame\": 1440000") && strstr(j, "\"start_frame\": 1323000"),
          "the excerpts start at 30 s at 48 kHz and 44.1 kHz (the loud part)");
    free(j);
    const char *files[] = {"out/preview/render.source.wav", "out/preview/render.quiet.wav",
                           "out/preview/render.loud44.wav"};
    double l[3];
    for (int k = 0; k < 3; k++)
        l[k] = lufs_of(files[k]);
    double spread = fmax(fmax(l[0], l[1]), l[2]) - fmin(fmin(l[0], l[1]), l[2]);
    printf("  excerpt loudness (libebur128): %.3f %.3f %.3f LUFS\n", l[0], l[1], l[2]);
    CHECK(isfinite(spread) && spread <= 0.1, "excerpts within %.4f LU of each other", spread);
    j = ct_slurp("p.json", NULL);
    CHECK(j && ct_count(j, "\"gain_db\": 0.0") == 1 && !strstr(j, "\"gain_db\": 1")
              && !strstr(j, "\"gain_db\": 2"), "only the quietest keeps its level, none is turned up");
    free(j);
    /* Same moment to the sample: the source and the -3 dB output, both levelled, are one signal. */
    float *a, *b;
    int ch;
    long na = ct_read_audio(files[0], &a, &ch, NULL), nb = ct_read_audio(files[1], &b, &ch, NULL);
    double err = 0, peak = 0;
    for (long i = 0; na == nb && i < 2 * na; i++) {
        err = fmax(err, fabs((double)a[i] - (double)b[i]));
        peak = fmax(peak, fabs((double)a[i]));
    }
    CHECK(na == 30 * RATE && na == nb && err < 1e-4 * peak,
          "source and output excerpts align to the sample (largest difference %.2e of %.2f)", err, peak);
    free(a);
    free(b);
    char *html = ct_slurp("out/report.html", NULL);
    int audios = html ? ct_count(html, "<audio ") : 0, present = 0;
    for (const char *p = html; p && (p = strstr(p, "<audio ")); p++) {
        const char *s = strstr(p, "src=\"");
        char name[600];
        if (s && sscanf(s + 5, "%511[^\"]", name + 4) == 1) {
            memcpy(name, "out/", 4);
            present += ct_exists(name);
        }
    }
    CHECK(audios == 3 && present == 3, "report.html has %d <audio> elements, %d pointing at files",
          audios, present);
    free(html);
}

static void test_at(void)
{
    CHECK(ct_lathe_to("render p.lua -o at --no-cache --quiet --preview-at 5 --json", "at.json") == 0,
          "--preview-at 5 exits 0");
    char *j = ct_slurp("at.json", NULL);
    CHECK(j && strstr(j, "\"start_frame\": 240000") && strstr(j, "\"start_frame\": 220500"),
          "--preview-at 5 starts every excerpt at 5 s");
    free(j);
    CHECK(ct_lathe("render p.lua -o late --no-cache --quiet --preview-at 99") == 2
              && ct_stderr_has("lasts 70 s"), "--preview-at past the end exits 2");
    CHECK(ct_lathe("render p.lua -o late --no-cache --quiet --preview-at x") == 2,
          "--preview-at needs a number");
}

int main(void)
{
    ct_setup();
    make_source();
    test_default();
    test_at();
    ct_cleanup();
    return tu_done();
}

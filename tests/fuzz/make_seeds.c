/* Writes the seed corpora of the fuzz targets into DIR/{audio,cache,script}: small WAV, FLAC
 * and AIFF files, real cache entries (prefixed with the harness's mode byte) and chain scripts. */
#define _XOPEN_SOURCE 700
#include "cache/cache.h"
#include "cache/cache_int.h"

#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void audio(const char *dir, const char *name, int format, int ch, int rate, int frames)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/audio/%s", dir, name);
    SF_INFO info = {.samplerate = rate, .channels = ch, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf)
        return;
    float *x = calloc((size_t)(frames * ch), sizeof *x);
    for (int i = 0; i < frames * ch; i++)
        x[i] = (float)(0.5 * sin(0.05 * i));
    sf_writef_float(sf, x, frames);
    sf_close(sf);
    free(x);
}

static void copy_entry(const char *from, const char *to, unsigned char mode)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    if (in && out) {
        fputc(mode, out);
        int c;
        while ((c = fgetc(in)) != EOF)
            fputc(c, out);
    }
    if (in)
        fclose(in);
    if (out)
        fclose(out);
}

static void cache_seeds(const char *dir)
{
    char cdir[1024], err[512], path[LATHE_CACHE_PATH_MAX], to[1200];
    snprintf(cdir, sizeof cdir, "%s/cache-src", dir);
    lathe_cache *c;
    if (lathe_cache_open(cdir, 0, &c, err, sizeof err) != LATHE_CACHE_OK)
        return;
    lathe_key key = {0x0123456789abcdefull, 0xfedcba9876543210ull};
    float a[64], b[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = (float)i / 64.0f;
    const float *ch[2] = {a, b};
    lathe_cache_writer *w;
    if (lathe_cache_writer_begin(c, key, 48000, 2, 1, &w) == LATHE_CACHE_OK) {
        lathe_cache_writer_append(w, ch, 64);
        lathe_cache_writer_commit(w);
    }
    lathe_cache_entry_path(c, key, LATHE_CACHE_KIND_AUDIO, 0, path);
    for (unsigned char m = 0; m < 4; m++) {
        snprintf(to, sizeof to, "%s/cache/audio%u", dir, m);
        copy_entry(path, to, m);
    }
    lathe_cache_put_blob(c, key, "analysis: -14.2 LUFS", 20);
    lathe_cache_entry_path(c, key, LATHE_CACHE_KIND_BLOB, 0, path);
    snprintf(to, sizeof to, "%s/cache/blob", dir);
    copy_entry(path, to, 1);
    lathe_cache_free(c);
}

static const char *const scripts[] = {
    "local m = source('in.wav'):gain{gain_db = -3}\noutput(m, 'a.wav')\n",
    "local s = sine{duration_s = 1, freq_hz = 440}\nlocal n = noise{duration_s = 1}\n"
    "output(mix(s, n, {gains_db = {-6, -20}}):limit{ceiling_dbtp = -1}, 'x.flac', {bits = 24})\n",
    "local m = sine{duration_s = 2}:eq{{type = 'highpass', freq_hz = 30, slope_db_oct = 12},"
    " {type = 'bell', freq_hz = 250, gain_db = -1.5, q = 1}}\n"
    "output(m:compress{threshold_db = -20, ratio = 2}:loudness{target_lufs = -14}, 's.wav')\n"
    "output(m:resample{rate = 44100}:dither{bits = 16}, 'cd.wav', {bits = 16})\n",
    "local t = {}\nfor i = 1, 10 do t[i] = sine{duration_s = 0.1 * i} end\n"
    "output(mix(table.unpack(t)):fade{in_ms = 10}, 'm.wav')\n",
    "output(sweep{duration_s = 1}:stereo{width = 1.5}:trim{start_s = 0.1}:pad{after_s = 1}, 'w.aiff')\n",
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    char sub[1024];
    const char *subs[] = {"", "audio", "cache", "script"};
    for (int i = 0; i < 4; i++) {
        snprintf(sub, sizeof sub, "%s/%s", dir, subs[i]);
        mkdir(sub, 0777);
    }
    audio(dir, "s16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 300);
    audio(dir, "s24.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_24, 1, 44100, 200);
    audio(dir, "f32.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 2, 96000, 100);
    audio(dir, "u8.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 1, 8000, 100);
    audio(dir, "six.wav", SF_FORMAT_WAVEX | SF_FORMAT_PCM_16, 6, 48000, 50);
    audio(dir, "one.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 48000, 1);
    audio(dir, "s16.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 2, 48000, 300);
    audio(dir, "s24.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 2, 48000, 100);
    cache_seeds(dir);
    for (size_t i = 0; i < sizeof scripts / sizeof scripts[0]; i++) {
        snprintf(sub, sizeof sub, "%s/script/seed%zu.lua", dir, i);
        FILE *f = fopen(sub, "w");
        if (f) {
            fputs(scripts[i], f);
            fclose(f);
        }
    }
    return 0;
}

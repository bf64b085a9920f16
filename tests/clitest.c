#define _XOPEN_SOURCE 700
#include "clitest.h"

#include "testutil.h"

#include <jansson.h>
#include <sndfile.h>
#ifdef LATHE_HAVE_EBUR128
#include <ebur128.h>
#endif

#include <math.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

char ct_dir[512];
const char *ct_bin;

void ct_setup(void)
{
    ct_bin = getenv("LATHE_BIN");
    if (!ct_bin) {
        printf("LATHE_BIN not set\n0 passed, 1 failed\n");
        exit(1);
    }
    tu_tmpdir(ct_dir, sizeof ct_dir);
}

void ct_cleanup(void)
{
    tu_run("chmod -R u+w %s; rm -rf %s", ct_dir, ct_dir);
}

static const char *path_of(const char *name, char *buf, size_t size)
{
    if (name[0] == '/')
        return name;
    snprintf(buf, size, "%s/%s", ct_dir, name);
    return buf;
}

void ct_write_n(const char *name, const char *text, unsigned long len)
{
    char buf[1024];
    FILE *f = fopen(path_of(name, buf, sizeof buf), "w");
    if (f) {
        fwrite(text, 1, len, f);
        fclose(f);
    }
}

void ct_write(const char *name, const char *text)
{
    ct_write_n(name, text, strlen(text));
}

char *ct_slurp(const char *name, long *len)
{
    char buf[1024];
    FILE *f = fopen(path_of(name, buf, sizeof buf), "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    n = (long)fread(b, 1, (size_t)n, f);
    b[n] = 0;
    fclose(f);
    if (len)
        *len = n;
    return b;
}

int ct_exists(const char *name)
{
    char buf[1024];
    struct stat st;
    return stat(path_of(name, buf, sizeof buf), &st) == 0;
}

long ct_read_audio(const char *name, float **out, int *channels, int *format)
{
    char buf[1024];
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path_of(name, buf, sizeof buf), SFM_READ, &info);
    *out = NULL;
    if (!sf)
        return -1;
    *out = malloc(sizeof(float) * (size_t)(info.frames * info.channels + 1));
    long n = (long)sf_readf_float(sf, *out, info.frames);
    if (channels)
        *channels = info.channels;
    if (format)
        *format = info.format;
    sf_close(sf);
    return n;
}

int ct_lathe_to(const char *args, const char *out)
{
    return tu_run("cd %s && %s %s >%s/%s 2>%s/stderr.txt", ct_dir, ct_bin, args, ct_dir, out, ct_dir);
}

int ct_lathe(const char *args)
{
    return ct_lathe_to(args, "stdout.txt");
}

int ct_stderr_has(const char *needle)
{
    char *text = ct_slurp("stderr.txt", NULL);
    int ok = text && strstr(text, needle) != NULL;
    if (!ok)
        fprintf(stderr, "  stderr was: %s\n", text ? text : "(none)");
    free(text);
    return ok;
}

int ct_count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* libebur128's integrated loudness and true peak of a file (NAN without libebur128). */
void ct_ebur128(const char *name, double *lufs, double *tp_db, long *frames)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", ct_dir, name);
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    *lufs = *tp_db = NAN;
    *frames = sf ? (long)info.frames : -1;
    if (!sf)
        return;
#ifdef LATHE_HAVE_EBUR128
    ebur128_state *st = ebur128_init((unsigned)info.channels, (unsigned long)info.samplerate,
                                     EBUR128_MODE_I | EBUR128_MODE_TRUE_PEAK);
    float buf[2 * 4096];
    sf_count_t n;
    while ((n = sf_readf_float(sf, buf, 4096)) > 0)
        ebur128_add_frames_float(st, buf, (size_t)n);
    double tp = 0, c;
    for (unsigned ch = 0; ch < (unsigned)info.channels; ch++) {
        ebur128_true_peak(st, ch, &c);
        tp = c > tp ? c : tp;
    }
    ebur128_loudness_global(st, lufs);
    *tp_db = 20.0 * log10(tp);
    ebur128_destroy(&st);
#endif
    sf_close(sf);
}

void ct_nodes_ran(const json_t *run, char *buf, unsigned long size)
{
    size_t i;
    json_t *n;
    buf[0] = 0;
    json_array_foreach(json_object_get(run, "nodes"), i, n)
        if (json_is_true(json_object_get(n, "ran"))
            && strcmp(json_string_value(json_object_get(n, "type")), "source") != 0) {
            strncat(buf, json_string_value(json_object_get(n, "type")), size - strlen(buf) - 2);
            strncat(buf, " ", size - strlen(buf) - 1);
        }
}

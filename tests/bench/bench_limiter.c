/* bench_limiter: the measurements of the limiter bench (bench_limiter.sh) on raw interleaved
 * float32 stereo at RATE Hz.
 *
 *   bench_limiter gr RATE IN OUT G    mean gain reduction (dB) and the share of time with more
 *                                      than 1 dB, from 50 ms blocks of the limiter's input IN
 *                                      times its gain G dB against its time-aligned output OUT;
 *                                      blocks whose gained input is under -70 dBFS are left out
 *   bench_limiter thd RATE F < RAW     THD+N (dB) of a tone at F Hz after the first second
 *   bench_limiter imd RATE < RAW       SMPTE IMD (dB): the sidebands 7 kHz +- k x 60 Hz (k = 1..4)
 *                                      against the 7 kHz carrier, after the first second
 *   bench_limiter peak < RAW           the largest |sample| in dBFS, to 0.001 dB (of a reference
 *                                      resampler's 8x output: the true peak)
 *
 * Tones are fitted by least squares over whole seconds (every frequency used is a whole number
 * of Hz, so the sines are orthogonal there). Left channel only for thd and imd. */
#define _XOPEN_SOURCE 700 /* M_PI */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *read_raw(FILE *f, size_t *frames)
{
    size_t cap = 1 << 20, n = 0;
    float *x = malloc(cap * sizeof(float));
    size_t got;
    while (x && (got = fread(x + n, sizeof(float), cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            float *y = realloc(x, 2 * cap * sizeof(float));
            if (!y) {
                free(x);
                return NULL;
            }
            x = y;
            cap *= 2;
        }
    }
    *frames = n / 2;
    return x;
}

/* Amplitude of the sine at f over left-channel samples [from, from + n) (n whole seconds). */
static double amplitude(const float *x, size_t from, size_t n, double f, double rate,
                        double *c_out, double *s_out)
{
    double c = 0.0, s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double ph = 2.0 * M_PI * f * (double)i / rate, v = x[2 * (from + i)];
        c += v * cos(ph);
        s += v * sin(ph);
    }
    c *= 2.0 / (double)n;
    s *= 2.0 / (double)n;
    if (c_out)
        *c_out = c, *s_out = s;
    return sqrt(c * c + s * s);
}

static int gr(double rate, const char *in_path, const char *out_path, double gain_db)
{
    double g2 = pow(10.0, gain_db / 10.0);
    FILE *fi = fopen(in_path, "rb"), *fo = fopen(out_path, "rb");
    size_t ni = 0, no = 0;
    float *x = fi ? read_raw(fi, &ni) : NULL, *y = fo ? read_raw(fo, &no) : NULL;
    if (!x || !y) {
        fprintf(stderr, "bench_limiter gr: cannot read %s or %s\n", in_path, out_path);
        return 1;
    }
    size_t blk = (size_t)(rate * 0.05), n = ni < no ? ni : no, blocks = 0, over = 0;
    double sum = 0.0;
    for (size_t b = 0; b + blk <= n; b += blk) {
        double ei = 0.0, eo = 0.0;
        for (size_t i = 2 * b; i < 2 * (b + blk); i++) {
            ei += g2 * x[i] * x[i];
            eo += (double)y[i] * y[i];
        }
        if (ei < 2.0 * blk * 1e-7 || eo <= 0.0) /* under -70 dBFS */
            continue;
        double d = 10.0 * log10(ei / eo);
        d = d > 0.0 ? d : 0.0;
        sum += d;
        over += d > 1.0;
        blocks++;
    }
    printf("%.2f %.0f\n", blocks ? sum / blocks : 0.0, blocks ? 100.0 * over / blocks : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 6 && !strcmp(argv[1], "gr"))
        return gr(atof(argv[2]), argv[3], argv[4], atof(argv[5]));
    if (argc == 2 && !strcmp(argv[1], "peak")) {
        float buf[4096];
        double m = 0.0;
        size_t got;
        while ((got = fread(buf, sizeof(float), 4096, stdin)) > 0)
            for (size_t i = 0; i < got; i++)
                m = fmax(m, fabs((double)buf[i]));
        printf("%.3f\n", 20.0 * log10(m));
        return 0;
    }
    size_t frames;
    float *x = argc >= 3 ? read_raw(stdin, &frames) : NULL;
    double rate = argc >= 3 ? atof(argv[2]) : 0.0;
    size_t sec = (size_t)rate, from = sec, n = frames > from ? (frames - from) / sec * sec : 0;
    if (!x || n == 0) {
        fprintf(stderr, "usage: bench_limiter gr RATE IN OUT G | thd RATE F | imd RATE | peak (raw f32 stereo, > 2 s)\n");
        return 2;
    }
    if (!strcmp(argv[1], "thd") && argc >= 4) {
        double f = atof(argv[3]), c, s, dc = 0.0, res = 0.0;
        double a = amplitude(x, from, n, f, rate, &c, &s);
        for (size_t i = 0; i < n; i++)
            dc += x[2 * (from + i)];
        dc /= (double)n;
        for (size_t i = 0; i < n; i++) {
            double ph = 2.0 * M_PI * f * (double)i / rate;
            double r = x[2 * (from + i)] - dc - c * cos(ph) - s * sin(ph);
            res += r * r;
        }
        printf("%.1f\n", 20.0 * log10(sqrt(res / (double)n) / (a / sqrt(2.0))));
        return 0;
    }
    if (!strcmp(argv[1], "imd")) {
        double carrier = amplitude(x, from, n, 7000.0, rate, NULL, NULL), side = 0.0;
        for (int k = 1; k <= 4; k++)
            for (int sgn = -1; sgn <= 1; sgn += 2) {
                double a = amplitude(x, from, n, 7000.0 + sgn * k * 60.0, rate, NULL, NULL);
                side += a * a;
            }
        printf("%.1f\n", 20.0 * log10(sqrt(side) / carrier));
        return 0;
    }
    return 2;
}

/* test_utility: mix, delay, polarity and channels, sample for sample against exact oracles,
 * their format errors, and independence from the block size. */
#include "nodeharness.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

typedef struct mix_p { double gains_db[64]; int n_gains_db; } mix_p;
typedef struct delay_p { double delay_ms; int delay_frames; } delay_p;
typedef struct polarity_p { double invert_channels[LATHE_MAX_CHANNELS]; int n_invert_channels; } polarity_p;
typedef struct channels_p { int mode, channel, out_channels; double mono_gain_db; } channels_p;

static tu_signal random_signal(uint32_t rate, uint32_t channels, uint64_t frames, uint64_t seed)
{
    tu_signal s = tu_signal_new(rate, channels, frames);
    for (uint32_t c = 0; c < channels; c++)
        for (uint64_t i = 0; i < frames; i++)
            s.ch[c][i] = (float)(0.5 * tu_rand(&seed));
    return s;
}

/* Runs with blocks of 4096 and 37; checks they agree bit for bit. */
static int run(const char *name, const void *params, const tu_signal *in, int n_in, tu_signal *out,
               char *err)
{
    const lathe_node_desc *d = tu_node(name);
    CHECK(d != NULL, "%s registered", name);
    if (!d)
        return LATHE_ERR_INTERNAL;
    int rc = tu_node_run(d, params, in, n_in, 4096, out, err, LATHE_ERR_MAX);
    if (rc != LATHE_OK)
        return rc;
    tu_signal small;
    char err2[LATHE_ERR_MAX];
    int rc2 = tu_node_run(d, params, in, n_in, 37, &small, err2, sizeof err2);
    CHECK(rc2 == LATHE_OK && tu_signal_same(out, &small), "%s: block 37 differs from block 4096", name);
    if (rc2 == LATHE_OK)
        tu_signal_free(&small);
    return rc;
}

static void test_mix(void)
{
    tu_signal in[3] = { random_signal(48000, 2, 1000, 1), random_signal(48000, 2, 1500, 2),
                        random_signal(48000, 2, 700, 3) };
    mix_p p;
    tu_params_default(tu_node("mix"), &p);
    p.gains_db[0] = -6.0;
    p.gains_db[1] = 3.5;
    p.n_gains_db = 2; /* the third input: 0 dB */
    tu_signal y;
    char err[LATHE_ERR_MAX] = "";
    int rc = run("mix", &p, in, 3, &y, err);
    CHECK(rc == LATHE_OK, "mix: %s", err);
    if (rc != LATHE_OK)
        return;
    CHECK(y.fmt.frames == 1500 && y.fmt.channels == 2, "mix: length of the longest input (%llu)",
          (unsigned long long)y.fmt.frames);
    double g0 = pow(10.0, -6.0 / 20.0), g1 = pow(10.0, 3.5 / 20.0);
    int bad = 0;
    for (uint32_t c = 0; c < 2; c++)
        for (uint64_t i = 0; i < 1500; i++) {
            double a = i < 1000 ? (double)in[0].ch[c][i] : 0.0, b = in[1].ch[c][i];
            double e = i < 700 ? (double)in[2].ch[c][i] : 0.0;
            bad += y.ch[c][i] != (float)(g0 * a + g1 * b + e);
        }
    CHECK(bad == 0, "mix: %d samples differ from g0 a + g1 b + c", bad);
    tu_signal_free(&y);

    /* Unity gains: exactly the float sum. */
    p.n_gains_db = 0;
    run("mix", &p, in, 2, &y, err);
    bad = 0;
    for (uint64_t i = 0; i < 1000; i++)
        bad += y.ch[1][i] != in[0].ch[1][i] + in[1].ch[1][i];
    CHECK(bad == 0, "mix: 0 dB sum exact (%d differ)", bad);
    tu_signal_free(&y);

    /* Mismatched formats are refused with the mismatch named. */
    tu_signal other = random_signal(44100, 2, 100, 4);
    tu_signal pair[2] = { in[0], other };
    rc = run("mix", &p, pair, 2, &y, err);
    CHECK(rc == LATHE_ERR_FORMAT && strstr(err, "44100") && strstr(err, "48000"),
          "mix: rate mismatch refused (rc %d, '%s')", rc, err);
    tu_signal_free(&other);
    other = random_signal(48000, 1, 100, 5);
    pair[1] = other;
    rc = run("mix", &p, pair, 2, &y, err);
    CHECK(rc == LATHE_ERR_FORMAT && strstr(err, "1 channels"), "mix: channel mismatch refused "
          "(rc %d, '%s')", rc, err);
    tu_signal_free(&other);
    p.n_gains_db = 3;
    rc = run("mix", &p, in, 2, &y, err);
    CHECK(rc == LATHE_ERR_PARAM, "mix: more gains than inputs refused (rc %d, '%s')", rc, err);
    for (int i = 0; i < 3; i++)
        tu_signal_free(&in[i]);
}

static void check_delayed(const tu_signal *x, const tu_signal *y, uint64_t delay, const char *what)
{
    int bad = y->fmt.frames != x->fmt.frames + delay;
    for (uint32_t c = 0; c < x->fmt.channels && !bad; c++)
        for (uint64_t i = 0; i < y->fmt.frames; i++)
            bad += y->ch[c][i] != (i < delay ? 0.0f : x->ch[c][i - delay]);
    CHECK(bad == 0, "%s: output is the input %llu frames later (%d differ)", what,
          (unsigned long long)delay, bad);
}

static void test_delay(void)
{
    tu_signal x = random_signal(48000, 2, 5000, 9), y;
    delay_p p = { 0.0, 100 };
    char err[LATHE_ERR_MAX] = "";
    if (run("delay", &p, &x, 1, &y, err) == LATHE_OK) {
        check_delayed(&x, &y, 100, "delay_frames 100");
        tu_signal_free(&y);
    }
    p = (delay_p){ 1.5, 0 }; /* 72 frames at 48 kHz */
    if (run("delay", &p, &x, 1, &y, err) == LATHE_OK) {
        check_delayed(&x, &y, 72, "delay_ms 1.5");
        tu_signal_free(&y);
    }
    p = (delay_p){ 0.0, 9000 }; /* longer than the input and than a block */
    if (run("delay", &p, &x, 1, &y, err) == LATHE_OK) {
        check_delayed(&x, &y, 9000, "delay_frames 9000");
        tu_signal_free(&y);
    }
    p = (delay_p){ 1.0, 5 };
    int rc = run("delay", &p, &x, 1, &y, err);
    CHECK(rc == LATHE_ERR_PARAM, "delay: ms and frames together refused (rc %d, '%s')", rc, err);
    tu_signal_free(&x);
}

static void test_polarity(void)
{
    tu_signal x = random_signal(48000, 3, 2000, 11), y;
    polarity_p p;
    tu_params_default(tu_node("polarity"), &p);
    char err[LATHE_ERR_MAX] = "";
    if (run("polarity", &p, &x, 1, &y, err) == LATHE_OK) {
        int bad = 0;
        for (uint32_t c = 0; c < 3; c++)
            for (uint64_t i = 0; i < 2000; i++)
                bad += y.ch[c][i] != -x.ch[c][i];
        CHECK(bad == 0, "polarity: empty list inverts every channel (%d differ)", bad);
        tu_signal_free(&y);
    }
    p.invert_channels[0] = 1;
    p.n_invert_channels = 1;
    if (run("polarity", &p, &x, 1, &y, err) == LATHE_OK) {
        int bad = 0;
        for (uint64_t i = 0; i < 2000; i++)
            bad += y.ch[0][i] != x.ch[0][i] || y.ch[1][i] != -x.ch[1][i] || y.ch[2][i] != x.ch[2][i];
        CHECK(bad == 0, "polarity: only channel 1 inverted (%d differ)", bad);
        tu_signal_free(&y);
    }
    p.invert_channels[0] = 3;
    int rc = run("polarity", &p, &x, 1, &y, err);
    CHECK(rc == LATHE_ERR_PARAM && strstr(err, "3"), "polarity: channel 3 of 3 refused ('%s')", err);
    tu_signal_free(&x);
}

static void test_channels(void)
{
    tu_signal x = random_signal(44100, 2, 3000, 21), y;
    channels_p p;
    tu_params_default(tu_node("channels"), &p);
    char err[LATHE_ERR_MAX] = "";
    int bad;
    if (run("channels", &p, &x, 1, &y, err) == LATHE_OK) { /* swap */
        CHECK(memcmp(y.ch[0], x.ch[1], 3000 * 4) == 0 && memcmp(y.ch[1], x.ch[0], 3000 * 4) == 0,
              "channels swap: L and R exchanged");
        tu_signal_free(&y);
    }
    p.mode = 1; /* mono: (L + R) / 2 */
    if (run("channels", &p, &x, 1, &y, err) == LATHE_OK) {
        bad = y.fmt.channels != 1;
        for (uint64_t i = 0; i < 3000 && !bad; i++)
            bad += y.ch[0][i] != (x.ch[0][i] + x.ch[1][i]) * 0.5f;
        CHECK(bad == 0, "channels mono: (L + R) / 2 exactly (%d differ)", bad);
        tu_signal_free(&y);
    }
    p.mono_gain_db = 20.0 * log10(sqrt(2.0));
    if (run("channels", &p, &x, 1, &y, err) == LATHE_OK) {
        double worst = 0.0;
        for (uint64_t i = 0; i < 3000; i++) {
            double want = ((double)x.ch[0][i] + (double)x.ch[1][i]) / sqrt(2.0);
            worst = fmax(worst, fabs((double)y.ch[0][i] - want));
        }
        CHECK(worst < 1e-6, "channels mono +3.01 dB: (L + R) / sqrt 2 (max error %g)", worst);
        tu_signal_free(&y);
    }
    p.mode = 2; /* select */
    p.channel = 1;
    if (run("channels", &p, &x, 1, &y, err) == LATHE_OK) {
        CHECK(y.fmt.channels == 1 && memcmp(y.ch[0], x.ch[1], 3000 * 4) == 0,
              "channels select 1: the right channel");
        tu_signal_free(&y);
    }
    p.mode = 3; /* duplicate a mono signal to 4 channels */
    p.channel = 0;
    p.out_channels = 4;
    tu_signal m = random_signal(44100, 1, 3000, 22);
    if (run("channels", &p, &m, 1, &y, err) == LATHE_OK) {
        bad = y.fmt.channels != 4;
        for (uint32_t c = 0; c < 4 && !bad; c++)
            bad += memcmp(y.ch[c], m.ch[0], 3000 * 4) != 0;
        CHECK(bad == 0, "channels duplicate: 4 copies of the mono input");
        tu_signal_free(&y);
    }
    p.mode = 0;
    int rc = run("channels", &p, &m, 1, &y, err);
    CHECK(rc == LATHE_ERR_FORMAT, "channels swap of a mono input refused (rc %d, '%s')", rc, err);
    p.mode = 2;
    p.channel = 2;
    rc = run("channels", &p, &x, 1, &y, err);
    CHECK(rc == LATHE_ERR_PARAM, "channels select 2 of stereo refused (rc %d, '%s')", rc, err);
    tu_signal_free(&m);
    tu_signal_free(&x);
}

int main(void)
{
    test_mix();
    test_delay();
    test_polarity();
    test_channels();
    return tu_done();
}

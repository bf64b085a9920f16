/* test_fade: fade, trim and pad are sample-exact: lengths in frames, fade curve values at five
 * points of each curve against their formulas, trimmed and padded content in place, padding to a
 * multiple of 588 frames (CD sectors), and independence from the block size. */
#include "dsp/fade.h"
#include "nodeharness.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const double PI = 3.14159265358979323846;

typedef struct fade_p { double in_ms, out_ms; int in_frames, out_frames, curve; } fade_p;
typedef struct trim_p { double start_s, end_s; int start_frames, end_frames; } trim_p;
typedef struct pad_p { double head_s, tail_s; int head_frames, tail_frames, to_multiple_frames; } pad_p;

static int run(const char *name, const void *params, const tu_signal *in, tu_signal *out, char *err)
{
    const lathe_node_desc *d = tu_node(name);
    int rc = tu_node_run(d, params, in, 1, 4096, out, err, LATHE_ERR_MAX);
    if (rc != LATHE_OK)
        return rc;
    tu_signal small;
    char err2[LATHE_ERR_MAX];
    int rc2 = tu_node_run(d, params, in, 1, 37, &small, err2, sizeof err2);
    CHECK(rc2 == LATHE_OK && tu_signal_same(out, &small), "%s: block 37 differs from block 4096", name);
    if (rc2 == LATHE_OK)
        tu_signal_free(&small);
    return rc;
}

static tu_signal ones(uint32_t rate, uint32_t channels, uint64_t frames)
{
    tu_signal s = tu_signal_new(rate, channels, frames);
    for (uint32_t c = 0; c < channels; c++)
        for (uint64_t i = 0; i < frames; i++)
            s.ch[c][i] = 1.0f;
    return s;
}

/* The curves' definitions, written independently of dsp/fade.c. */
static double oracle(int curve, double t)
{
    switch (curve) {
    case 1: return sin(PI / 2.0 * t);
    case 2: return (pow(10.0, 3.0 * t) - 1.0) / 999.0; /* 1000^t / 1000 (-60 dB), offset to 0 */
    case 3: return 0.5 - 0.5 * cos(PI * t);
    default: return t;
    }
}

static void test_fade_curves(void)
{
    static const char *names[] = { "linear", "equal_power", "log", "scurve" };
    const uint64_t n = 48000, li = 4800, lo = 2400; /* in 100 ms, out 50 ms at 48 kHz */
    tu_signal x = ones(48000, 2, n), y;
    for (int curve = 0; curve < 4; curve++) {
        fade_p p = { 100.0, 50.0, 0, 0, curve };
        char err[LATHE_ERR_MAX] = "";
        int rc = run("fade", &p, &x, &y, err);
        CHECK(rc == LATHE_OK, "fade %s: %s", names[curve], err);
        if (rc != LATHE_OK)
            continue;
        CHECK(y.fmt.frames == n, "fade %s: length kept", names[curve]);
        const uint64_t pts[5] = { 0, 1200, 2400, 3600, 4799 };
        for (int k = 0; k < 5; k++) {
            char what[96];
            snprintf(what, sizeof what, "fade-in %s at frame %llu", names[curve],
                     (unsigned long long)pts[k]);
            CHECK_NEAR(y.ch[1][pts[k]], oracle(curve, (double)pts[k] / li), 1e-6, what);
            /* The fade-out mirrors it: frame n-1-j has the gain of fade-in frame j (len lo). */
            uint64_t j = pts[k] / 2;
            snprintf(what, sizeof what, "fade-out %s at %llu frames from the end", names[curve],
                     (unsigned long long)j);
            CHECK_NEAR(y.ch[0][n - 1 - j], oracle(curve, (double)j / lo), 1e-6, what);
        }
        CHECK(y.ch[0][0] == 0.0f && y.ch[0][n - 1] == 0.0f, "fade %s: silent first and last frame",
              names[curve]);
        CHECK(y.ch[0][li] == 1.0f && y.ch[0][li - 1] < 1.0f && y.ch[0][n - 1 - lo] == 1.0f
              && y.ch[0][n - lo] < 1.0f, "fade %s: fades are exactly %llu and %llu frames",
              names[curve], (unsigned long long)li, (unsigned long long)lo);
        tu_signal_free(&y);
    }
    /* Frame-exact lengths, mutual exclusion, too long. */
    fade_p p = { 0.0, 0.0, 1001, 0, 0 };
    char err[LATHE_ERR_MAX] = "";
    if (run("fade", &p, &x, &y, err) == LATHE_OK) {
        CHECK(y.ch[0][1001] == 1.0f, "fade in_frames 1001: frame 1001 at unity");
        CHECK_NEAR(y.ch[0][1000], 1000.0 / 1001.0, 1e-7, "fade in_frames 1001: frame 1000");
        tu_signal_free(&y);
    }
    p = (fade_p){ 10.0, 0.0, 5, 0, 0 };
    CHECK(run("fade", &p, &x, &y, err) == LATHE_ERR_PARAM, "fade: in_ms with in_frames refused");
    p = (fade_p){ 0.0, 1001.0, 0, 0, 0 };
    CHECK(run("fade", &p, &x, &y, err) == LATHE_ERR_PARAM, "fade: longer than the input refused");
    tu_signal_free(&x);
}

static tu_signal ramp(uint32_t rate, uint64_t frames)
{
    tu_signal s = tu_signal_new(rate, 2, frames);
    for (uint64_t i = 0; i < frames; i++) {
        s.ch[0][i] = (float)(i + 1);
        s.ch[1][i] = -(float)(i + 1);
    }
    return s;
}

static void test_trim(void)
{
    tu_signal x = ramp(48000, 50000), y;
    trim_p p = { 0.0, 0.0, 100, 10100 };
    char err[LATHE_ERR_MAX] = "";
    if (run("trim", &p, &x, &y, err) == LATHE_OK) {
        int bad = y.fmt.frames != 10000;
        for (uint64_t i = 0; i < y.fmt.frames && !bad; i++)
            bad += y.ch[0][i] != x.ch[0][i + 100] || y.ch[1][i] != x.ch[1][i + 100];
        CHECK(bad == 0, "trim [100, 10100): 10000 frames starting at input frame 100 (%llu)",
              (unsigned long long)y.fmt.frames);
        tu_signal_free(&y);
    }
    p = (trim_p){ 0.5, 0.0, 0, 0 }; /* from 24000 to the end */
    if (run("trim", &p, &x, &y, err) == LATHE_OK) {
        CHECK(y.fmt.frames == 26000 && y.ch[0][0] == 24001.0f && y.ch[0][25999] == 50000.0f,
              "trim start_s 0.5: 26000 frames from frame 24000 (%llu)",
              (unsigned long long)y.fmt.frames);
        tu_signal_free(&y);
    }
    p = (trim_p){ 0.0, 2.0, 0, 0 };
    CHECK(run("trim", &p, &x, &y, err) == LATHE_ERR_PARAM, "trim: end beyond the input refused");
    tu_signal_free(&x);
}

static void check_padded(const tu_signal *x, const tu_signal *y, uint64_t head, uint64_t frames,
                         const char *what)
{
    int bad = y->fmt.frames != frames;
    for (uint32_t c = 0; c < 2 && !bad; c++)
        for (uint64_t i = 0; i < frames; i++) {
            float want = i >= head && i - head < x->fmt.frames ? x->ch[c][i - head] : 0.0f;
            bad += y->ch[c][i] != want;
        }
    CHECK(bad == 0, "%s: %llu frames, input at %llu, silence elsewhere (got %llu frames)", what,
          (unsigned long long)frames, (unsigned long long)head, (unsigned long long)y->fmt.frames);
}

static void test_pad(void)
{
    tu_signal x = ramp(44100, 1000), y;
    pad_p p = { 0.0, 0.0, 100, 50, 0 };
    char err[LATHE_ERR_MAX] = "";
    if (run("pad", &p, &x, &y, err) == LATHE_OK) {
        check_padded(&x, &y, 100, 1150, "pad 100 + 1000 + 50");
        tu_signal_free(&y);
    }
    p = (pad_p){ 0.0, 0.0, 0, 0, 588 };
    if (run("pad", &p, &x, &y, err) == LATHE_OK) {
        check_padded(&x, &y, 0, 1176, "pad to a multiple of 588");
        tu_signal_free(&y);
    }
    p = (pad_p){ 2.0, 0.0, 0, 1, 588 }; /* 2 s pregap, 1 frame, then up to the sector */
    if (run("pad", &p, &x, &y, err) == LATHE_OK) {
        check_padded(&x, &y, 88200, 89376, "pad head_s 2 + tail 1, multiple of 588");
        tu_signal_free(&y);
    }
    p = (pad_p){ 0.0, 0.0, 0, 0, 500 }; /* already a multiple: unchanged */
    if (run("pad", &p, &x, &y, err) == LATHE_OK) {
        check_padded(&x, &y, 0, 1000, "pad to a multiple it already is");
        tu_signal_free(&y);
    }
    p = (pad_p){ 1.0, 0.0, 5, 0, 0 };
    CHECK(run("pad", &p, &x, &y, err) == LATHE_ERR_PARAM, "pad: head_s with head_frames refused");
    tu_signal_free(&x);
}

int main(void)
{
    test_fade_curves();
    test_trim();
    test_pad();
    return tu_done();
}

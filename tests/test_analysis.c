/* test_analysis.c - the QC aggregator and the meter node against known signals: clicks found
 * within 1 ms and none on clean music-like noise, 1630 clip runs, DC offset, correlation of
 * in-phase / polarity-inverted / uncorrelated channels, silence at head and tail to 10 ms, the
 * meter node's bit-exact pass-through and report, block-size independence (of the click list
 * too), the click report grouped into places and ranked loudest first. */
#include "measure/analysis.h"
#include "nodeharness.h"
#include "testutil.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double pi = 3.14159265358979323846;

static lathe_analysis_result *analyse(const tu_signal *s, uint32_t block)
{
    lathe_analysis *a = NULL;
    lathe_analysis_result *r = NULL;
    if (lathe_analysis_new(s->fmt.rate, s->fmt.channels, &a) != 0)
        return NULL;
    for (uint64_t off = 0; off < s->fmt.frames; off += block) {
        uint32_t k = s->fmt.frames - off < block ? (uint32_t)(s->fmt.frames - off) : block;
        const float *ch[LATHE_MAX_CHANNELS];
        for (uint32_t c = 0; c < s->fmt.channels; c++)
            ch[c] = s->ch[c] + off;
        lathe_analysis_add(a, ch, k);
    }
    lathe_analysis_finish(a, &r);
    lathe_analysis_free(a);
    return r;
}

/* Music-like: pink-ish noise rolled off above ~6 kHz (as music's spectrum is) under a slow
 * level envelope, plus a few tones. */
static tu_signal music(uint32_t rate, double seconds, uint64_t seed)
{
    tu_signal s = tu_signal_new(rate, 2, (uint64_t)(seconds * rate));
    double b[2][3] = {{0}}, lp[2] = {0}, k = 1.0 - exp(-2.0 * pi * 6000.0 / rate);
    uint64_t rng = seed;
    for (uint64_t i = 0; i < s.fmt.frames; i++) {
        double t = (double)i / rate, env = 0.12 * (1.0 + 0.6 * sin(2.0 * pi * 0.3 * t));
        double tone = 0.05 * sin(2.0 * pi * 220.0 * t) + 0.03 * sin(2.0 * pi * 1320.0 * t);
        for (int c = 0; c < 2; c++) {
            double w = tu_rand(&rng);
            b[c][0] = 0.997 * b[c][0] + 0.099 * w;
            b[c][1] = 0.963 * b[c][1] + 0.297 * w;
            b[c][2] = 0.570 * b[c][2] + 1.053 * w;
            double p = (b[c][0] + b[c][1] + b[c][2] + 0.18 * w) * 0.2;
            lp[c] += k * (p - lp[c]);
            s.ch[c][i] = (float)(env * lp[c] + tone);
        }
    }
    return s;
}

static void clicks(void)
{
    const uint32_t rate = 48000;
    tu_signal s = music(rate, 20.0, 7);
    lathe_analysis_result *clean = analyse(&s, 4096);
    CHECK(clean->n_clicks == 0, "clean music-like noise: %zu clicks (want 0)", clean->n_clicks);
    for (size_t i = 0; i < clean->n_findings; i++)
        CHECK(strcmp(clean->findings[i].code, "click") != 0, "no click finding on clean signal");
    lathe_analysis_result_free(clean);

    double at[12];
    uint32_t chn[12];
    uint64_t rng = 3;
    for (int k = 0; k < 12; k++) {
        at[k] = 0.7 + 1.55 * k + 0.3 * (0.5 + 0.5 * tu_rand(&rng));
        chn[k] = (uint32_t)(k % 2);
        uint64_t f = (uint64_t)llround(at[k] * rate);
        s.ch[chn[k]][f] += (k % 3 == 0 ? -0.25f : 0.2f);
    }
    lathe_analysis_result *r = analyse(&s, 1000);
    int found = 0;
    double worst = 0.0;
    for (int k = 0; k < 12; k++) {
        double best = 1e9;
        for (size_t j = 0; j < r->n_clicks; j++)
            if (r->clicks[j].channel == chn[k] && fabs(r->clicks[j].time_s - at[k]) < fabs(best))
                best = r->clicks[j].time_s - at[k];
        found += fabs(best) <= 0.001;
        worst = fabs(best) > worst ? fabs(best) : worst;
    }
    for (size_t j = 0; j < r->n_clicks; j++)
        printf("  click at %.5f s ch %u\n", r->clicks[j].time_s, (unsigned)r->clicks[j].channel);
    printf("  clicks: %d/12 found, worst time error %.3f ms, %zu reported\n", found,
           worst * 1e3, r->n_clicks);
    CHECK(found == 12, "every inserted click found within 1 ms (%d/12)", found);
    CHECK(r->n_clicks == 12, "no extra clicks (%zu reported)", r->n_clicks);
    lathe_analysis_result_free(r);
    tu_signal_free(&s);
}

/* Click decisions do not depend on how the input is cut into blocks: spikes of many sizes (the
 * small ones near the threshold) on music-like noise, some in a quiet stretch right after loud
 * music (where running sums lose precision), fed in blocks of 16384, 37 and 1000 frames. */
static void click_blocks(void)
{
    const uint32_t rate = 48000;
    tu_signal s = music(rate, 12.0, 11);
    uint64_t rng = 5;
    size_t inserted = 0;
    for (uint64_t i = 4 * rate; i < 8 * rate; i++) {
        float g = i < 6 * rate ? 4.0f : 0.003f;
        s.ch[0][i] *= g;
        s.ch[1][i] *= g;
    }
    for (uint64_t f = rate / 20; f < s.fmt.frames - rate / 20; inserted++) {
        double amp = pow(10.0, -3.0 + 1.35 * (1.0 + tu_rand(&rng)));
        s.ch[inserted % 2][f] += (float)(tu_rand(&rng) < 0.0 ? -amp : amp);
        f += (uint64_t)((0.045 + 0.01 * tu_rand(&rng)) * rate); /* apart: none merges */
    }
    lathe_analysis_result *r[3] = {analyse(&s, 16384), analyse(&s, 37), analyse(&s, 1000)};
    printf("  click blocks: %zu of %zu spikes reported\n", r[0]->n_clicks, inserted);
    CHECK(r[0]->n_clicks > 20 && r[0]->n_clicks < inserted - 20,
          "spikes on both sides of the threshold (%zu of %zu reported)", r[0]->n_clicks, inserted);
    for (int k = 1; k < 3; k++) {
        int same = r[k]->n_clicks == r[0]->n_clicks;
        for (size_t j = 0; same && j < r[0]->n_clicks; j++)
            same = r[k]->clicks[j].time_s == r[0]->clicks[j].time_s &&
                   r[k]->clicks[j].channel == r[0]->clicks[j].channel;
        CHECK(same, "click list for blocks of %d identical to blocks of 16384 (%zu vs %zu)",
              k == 1 ? 37 : 1000, r[k]->n_clicks, r[0]->n_clicks);
    }
    for (int k = 0; k < 3; k++)
        lathe_analysis_result_free(r[k]);
    tu_signal_free(&s);
}

/* The click report ranks places, not detections: a crackle of 8 small clicks (100 ms apart, one
 * place), a medium click and a loud pop on music-like noise. Every click is detected (recall),
 * the report lists 3 places, loudest first, with their counts, then one totals line with the
 * rate per minute. */
static void click_report(void)
{
    const uint32_t rate = 48000;
    tu_signal s = music(rate, 30.0, 11);
    for (int k = 0; k < 8; k++)
        s.ch[0][(size_t)llround((5.0 + 0.1 * k) * rate)] += 0.15f;
    s.ch[1][(size_t)llround(12.0 * rate)] -= 0.25f;
    s.ch[0][(size_t)llround(20.0 * rate)] += 0.6f;
    lathe_analysis_result *r = analyse(&s, 4096);
    const lathe_finding *f[8];
    size_t nf = 0;
    for (size_t i = 0; i < r->n_findings && nf < 8; i++)
        if (strcmp(r->findings[i].code, "click") == 0)
            f[nf++] = &r->findings[i];
    for (size_t i = 0; i < nf; i++)
        printf("  %6.2f s ch %2d  %s\n", f[i]->time_s, f[i]->channel, f[i]->message);
    CHECK(r->n_clicks == 10, "all 10 inserted clicks detected (%zu)", r->n_clicks);
    CHECK(nf == 4, "3 ranked places + 1 totals line (%zu click findings)", nf);
    if (nf == 4) {
        CHECK(fabs(f[0]->time_s - 20.0) < 0.001 && f[0]->channel == 0, "loud pop ranked first");
        CHECK(fabs(f[1]->time_s - 12.0) < 0.001 && f[1]->channel == 1, "medium click second");
        CHECK(fabs(f[2]->time_s - 5.0) < 0.75 && strstr(f[2]->message, ": 8 click(s)"),
              "crackle third, as one place of 8 clicks");
        CHECK(f[3]->channel == -1 && strstr(f[3]->message, "10 clicks in 3 places (20.0 per minute)"),
              "totals line: 10 clicks, 3 places, 20 per minute");
    }
    lathe_analysis_result_free(r);
    tu_signal_free(&s);
}

static void clipping_dc(void)
{
    tu_signal s = tu_signal_new(44100, 2, 44100);
    for (uint64_t i = 0; i < s.fmt.frames; i++) {
        s.ch[0][i] = (float)(0.5 * sin(2.0 * pi * 100.0 * (double)i / 44100.0));
        s.ch[1][i] = s.ch[0][i] + 0.01f; /* DC about -40 dBFS on R */
    }
    for (int i = 0; i < 3; i++) /* 3 at full scale: legal */
        s.ch[0][1000 + i] = 1.0f;
    for (int i = 0; i < 5; i++) /* 5: an over */
        s.ch[0][22050 + i] = -1.0f;
    for (int i = 0; i < 4; i++) /* 4: an over */
        s.ch[1][30000 + i] = 1.0f;
    double mean = 0.0;
    for (uint64_t i = 0; i < s.fmt.frames; i++)
        mean += (double)s.ch[1][i];
    mean /= (double)s.fmt.frames;
    lathe_analysis_result *r = analyse(&s, 777);
    CHECK(r->clipped_samples == 12, "full-scale samples: %llu (want 12)",
          (unsigned long long)r->clipped_samples);
    CHECK(r->clip_runs == 2, "clip runs of 4+: %llu (want 2)", (unsigned long long)r->clip_runs);
    int err = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        const lathe_finding *f = &r->findings[i];
        if (strcmp(f->code, "clip_run") == 0 && f->severity == LATHE_SEV_ERROR) {
            err++;
            CHECK(fabs(f->time_s - 0.5) < 1e-4 || fabs(f->time_s - 30000.0 / 44100) < 1e-4,
                  "clip run time %.5f s", f->time_s);
        }
    }
    CHECK(err == 2, "two clip_run errors (%d)", err);
    CHECK_NEAR(r->dc_offset_dbfs[1], 20.0 * log10(mean), 1e-6, "DC offset R (dBFS)");
    CHECK(r->dc_offset_dbfs[1] > -40.1 && r->dc_offset_dbfs[1] < -39.9, "DC offset R near -40");
    CHECK(r->dc_offset_dbfs[0] < -70.0, "DC offset L ~0 (%.1f dBFS)", r->dc_offset_dbfs[0]);
    lathe_analysis_result_free(r);
    tu_signal_free(&s);
}

static void correlation(void)
{
    tu_signal s = music(48000, 6.0, 11);
    for (uint64_t i = 0; i < s.fmt.frames; i++)
        s.ch[1][i] = s.ch[0][i];
    lathe_analysis_result *r = analyse(&s, 4096);
    CHECK_NEAR(r->correlation, 1.0, 1e-6, "in-phase correlation");
    CHECK_NEAR(r->mono_loss_lu, 0.0, 0.01, "in-phase mono loss (LU)");
    CHECK_NEAR(r->imbalance_db, 0.0, 1e-6, "in-phase imbalance");
    lathe_analysis_result_free(r);
    for (uint64_t i = 0; i < s.fmt.frames; i++)
        s.ch[1][i] = -s.ch[0][i];
    r = analyse(&s, 4096);
    CHECK_NEAR(r->correlation, -1.0, 1e-6, "polarity-inverted correlation");
    CHECK(r->mono_loss_lu > 40.0, "inverted: mono fold-down loses everything (%.1f LU)",
          r->mono_loss_lu);
    int phase = 0;
    for (size_t i = 0; i < r->n_findings; i++)
        phase += strcmp(r->findings[i].code, "phase") == 0 ||
                 strcmp(r->findings[i].code, "anti_phase") == 0;
    CHECK(phase >= 2, "inverted: phase findings (%d)", phase);
    lathe_analysis_result_free(r);
    uint64_t rng = 5;
    for (uint64_t i = 0; i < s.fmt.frames; i++) {
        s.ch[0][i] = (float)(0.2 * tu_rand(&rng));
        s.ch[1][i] = (float)(0.2 * tu_rand(&rng));
    }
    r = analyse(&s, 4096);
    CHECK(fabs(r->correlation) < 0.01, "uncorrelated noise: correlation %.4f", r->correlation);
    CHECK_NEAR(r->mono_loss_lu, 3.01, 0.1, "uncorrelated: mono loss (LU)");
    lathe_analysis_result_free(r);
    tu_signal_free(&s);
}

static void silence(void)
{
    const uint32_t rate = 48000;
    tu_signal s = tu_signal_new(rate, 2, 10 * rate);
    uint64_t a = (uint64_t)(2.345 * rate), b = (uint64_t)(7.5 * rate);
    for (uint64_t i = a; i < b; i++)
        s.ch[1][i] = (float)(0.3 * sin(2.0 * pi * 440.0 * (double)i / rate));
    for (uint64_t i = 0; i < s.fmt.frames; i++) /* a noise floor below -60 dBFS */
        s.ch[0][i] += (float)(0.0003 * sin(2.0 * pi * 50.0 * (double)i / rate));
    lathe_analysis_result *r = analyse(&s, 4096);
    CHECK_NEAR(r->silence_head_s, 2.345, 0.01, "silence at head (s)");
    CHECK_NEAR(r->silence_tail_s, 2.5, 0.01, "silence at tail (s)");
    CHECK_NEAR(r->noise_floor_dbfs, 20.0 * log10(0.0003), 0.1, "noise floor (dBFS)");
    int head = 0, tail = 0;
    for (size_t i = 0; i < r->n_findings; i++) {
        head += strcmp(r->findings[i].code, "silence_head") == 0;
        tail += strcmp(r->findings[i].code, "silence_tail") == 0;
    }
    CHECK(head == 1 && tail == 1, "silence findings head %d tail %d", head, tail);
    CHECK(r->n_short_term == 100, "short-term series: %zu values for 10 s", r->n_short_term);
    CHECK(isnan(r->integrated_lufs) == 0, "integrated measured");
    lathe_analysis_result_free(r);
    /* A float file: a tone, then a tail decaying far under any word length's step, then zeros:
     * the floor is not the tail's 1e-25 (-500 dBFS) but absent, below every format's step. */
    for (uint64_t i = 0; i < s.fmt.frames; i++) {
        double t = (double)i / rate;
        float v = (float)(0.3 * sin(2.0 * pi * 440.0 * t));
        s.ch[0][i] = s.ch[1][i] = t < 2 ? v : t < 6 ? v * (float)exp(-(t - 2) * 15) : 0.0f;
    }
    r = analyse(&s, 4096);
    CHECK(!isfinite(r->noise_floor_dbfs) || r->noise_floor_dbfs > -150,
          "tail decaying to 1e-25: noise floor %.1f dBFS, not a sub-LSB figure", r->noise_floor_dbfs);
    lathe_analysis_result_free(r);
    tu_signal_free(&s);
}

/* Same results whatever the block size; and a band-limited octave balance. */
/* Content above 0.98 of Nyquist: a 1 kHz tone at -3 dBFS with a 23.9 kHz one 27 dB under it
 * (synthesizer aliasing) reads within 1 dB of -30 dBFS and is noted, the meters' possible spread
 * (20 log10 (1 + 10^(-27/20)) = 0.39 dB) in the note; the tone alone is not, and reads more
 * than 60 dB under it (the bound's leakage, dsp/topband.h). */
static void top_band(void)
{
    const uint32_t rate = 48000;
    tu_signal s = tu_signal_new(rate, 2, 3 * rate);
    for (int alias = 1; alias >= 0; alias--) {
        for (uint64_t i = 0; i < s.fmt.frames; i++) {
            double t = (double)i / rate;
            double v = 0.708 * sin(2.0 * pi * 1000.0 * t) +
                       alias * 0.0316 * sin(2.0 * pi * 23900.0 * t);
            s.ch[0][i] = s.ch[1][i] = (float)v;
        }
        lathe_analysis_result *r = analyse(&s, 1000);
        int noted = 0;
        for (size_t i = 0; i < r->n_findings; i++)
            noted += strcmp(r->findings[i].code, "top_band") == 0;
        if (alias) {
            CHECK_NEAR(r->top_band_dbfs, -30.0, 1.0, "a 23.9 kHz tone at -30 dBFS: top band (dBFS)");
            CHECK(noted == 1, "aliasing noted (%d findings)", noted);
        } else {
            CHECK(r->top_band_dbfs < -63.0, "1 kHz alone: top band %.1f dBFS", r->top_band_dbfs);
            CHECK(noted == 0, "1 kHz alone: no top-band note");
        }
        lathe_analysis_result_free(r);
    }
    tu_signal_free(&s);
}

static void blocks_and_bands(void)
{
    tu_signal s = music(44100, 8.0, 21);
    lathe_analysis_result *a = analyse(&s, 4096), *b = analyse(&s, 37);
    double va[6] = {a->integrated_lufs, a->true_peak_dbtp, a->lra_lu, a->correlation,
                    a->octave_db[3], a->noise_floor_dbfs};
    double vb[6] = {b->integrated_lufs, b->true_peak_dbtp, b->lra_lu, b->correlation,
                    b->octave_db[3], b->noise_floor_dbfs};
    for (int i = 0; i < 6; i++)
        CHECK(memcmp(&va[i], &vb[i], sizeof(double)) == 0,
              "analysis value %d identical for blocks 4096 and 37 (%.12g vs %.12g)", i, va[i],
              vb[i]);
    lathe_analysis_result_free(a);
    lathe_analysis_result_free(b);
    for (uint64_t i = 0; i < s.fmt.frames; i++)
        s.ch[0][i] = s.ch[1][i] = (float)(0.5 * sin(2.0 * pi * 1000.0 * (double)i / 44100.0));
    a = analyse(&s, 4096);
    CHECK(a->octave_db[5] > -0.1 && a->octave_db[4] < -30.0 && a->octave_db[6] < -30.0,
          "1 kHz tone sits in the 1 kHz octave (%.2f, neighbours %.1f, %.1f dB)",
          a->octave_db[5], a->octave_db[4], a->octave_db[6]);
    lathe_analysis_result_free(a);
    tu_signal_free(&s);
}

static void meter_node(void)
{
    const lathe_node_desc *d = tu_node("meter");
    CHECK(d != NULL, "meter node registered");
    if (!d)
        return;
    tu_signal s = music(48000, 5.0, 9), o1, o2;
    char rep[4096];
    int rc = tu_node_run_report(d, NULL, &s, 1, 4096, &o1, rep, sizeof rep);
    CHECK(rc == LATHE_OK, "meter runs");
    CHECK(tu_node_run(d, NULL, &s, 1, 37, &o2, NULL, 0) == LATHE_OK, "meter runs, block 37");
    int same = o1.fmt.frames == s.fmt.frames && o2.fmt.frames == s.fmt.frames;
    for (uint32_t c = 0; same && c < 2; c++)
        same = memcmp(o1.ch[c], s.ch[c], s.fmt.frames * sizeof(float)) == 0 &&
               memcmp(o2.ch[c], s.ch[c], s.fmt.frames * sizeof(float)) == 0;
    CHECK(same, "meter output == input, bit for bit (blocks 4096 and 37)");
    lathe_analysis_result *r = analyse(&s, 4096);
    const char *p = strstr(rep, "integrated_lufs=");
    double v = p ? atof(p + strlen("integrated_lufs=")) : (double)NAN;
    CHECK_NEAR(v, r->integrated_lufs, 1e-3, "meter report integrated_lufs == analysis");
    p = strstr(rep, "true_peak_dbtp=");
    v = p ? atof(p + strlen("true_peak_dbtp=")) : (double)NAN;
    CHECK_NEAR(v, r->true_peak_dbtp, 1e-3, "meter report true_peak_dbtp == analysis");
    lathe_analysis_result_free(r);
    tu_signal_free(&o1);
    tu_signal_free(&o2);
    tu_signal_free(&s);
}

int main(void)
{
    clicks();
    click_blocks();
    click_report();
    clipping_dc();
    correlation();
    silence();
    top_band();
    blocks_and_bands();
    meter_node();
    return tu_done();
}

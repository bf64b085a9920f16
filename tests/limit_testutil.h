/* limit_testutil.h - shared helpers of test_limit.c and test_loudness.c: parameters by name,
 * loudness and true peak measured by lathe's meters and (when available) by libebur128,
 * report parsing, and programme-like test signals. Compiled once (limit_testutil.c). */
#ifndef LATHE_LIMIT_TESTUTIL_H
#define LATHE_LIMIT_TESTUTIL_H

#include "dsp/limiter.h"
#include "nodeharness.h"
#include "testutil.h"

#include <stdint.h>

/* Sets a parameter of a node's struct by name through the engine's table code (a test bug,
 * exit 2, when it does not take it). */
void lt_set(const lathe_node_desc *d, void *p, const char *name, double v);
void lt_set_str(const lathe_node_desc *d, void *p, const char *name, const char *v);

/* lathe's 8x meter, dBTP; lathe's BS.1770 integrated loudness, LUFS. */
double lt_tp_lathe(const tu_signal *s);
double lt_lufs_lathe(const tu_signal *s);
#ifdef LATHE_HAVE_EBUR128
/* libebur128: integrated loudness (LUFS) and true peak (dBTP, max over channels). */
void lt_ebur(const tu_signal *s, double *lufs, double *tp);
#endif

/* Runs all of x through l into y (both of x's length and channels) in blocks of `block` frames
 * (not a multiple of the limiter's chunk, to test that block sizes do not matter): through
 * process(), or (half) front() and back() on slot 1 (l split). memo: NULL, or the peaks kept or
 * given, one array of x's length per peak channel in memo->v, advanced per block here. */
void lt_limit_blocks(lathe_limiter *l, const tu_signal *x, tu_signal *y, uint32_t block,
                     const lathe_limiter_peaks *memo, int half);

/* Multiplies every sample by g. */
void lt_scale(tu_signal *s, double g);

/* Programme-like stereo signals (PLR = true peak - integrated loudness): kind 0 dense (three
 * detuned tones + a little noise, PLR ~7 dB), 1 sustained noise with a slow envelope (~9 dB),
 * 2 percussive noise hits with fast decays over a bed (~17 dB), 3 a bass line with short
 * clicks over a bed (~13 dB). Low-passed noise so the spectrum is music-like. */
tu_signal lt_programme(int kind, uint32_t rate, double seconds, uint64_t seed);

/* Reads at most max_s seconds of an audio file (libsndfile); -1 when it cannot be opened. */
int lt_read_file(const char *path, double max_s, tu_signal *out);
/* The real mixes of $LATHE_SRC/../shared/audio (tier 2; absent in a user's clone), NULL
 * terminated, and the i-th of them read like lt_read_file. */
extern const char *const lt_mixes[];
int lt_read_mix(int i, double max_s, tu_signal *out);

#endif

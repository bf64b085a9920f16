/* dynamics_testutil.h - helpers shared by the dynamics node tests (compress, multiband, dyneq,
 * saturate, loudness): parameters set by name through the engine's own table code, one-call runs,
 * signal comparisons and allocation-failure loops. Compiled once (dynamics_testutil.c). */
#ifndef LATHE_DYNAMICS_TESTUTIL_H
#define LATHE_DYNAMICS_TESTUTIL_H

#include "lathe/lathe.h"
#include "nodeharness.h"

/* Sets a NUMBER/INT/BOOL parameter of `base` (a parameter struct or a list element). */
void dt_set(const lathe_param *table, void *base, const char *name, double v);

/* Sets an ENUM/STRING parameter. */
void dt_sets(const lathe_param *table, void *base, const char *name, const char *v);

/* Appends one NUMBERS value. */
void dt_push(const lathe_param *table, void *base, const char *name, double v);

/* Appends one LIST element (defaults filled) and returns it with its field table. */
void *dt_elem(const lathe_param *table, void *base, const char *name, const lathe_param **fields);

/* A fresh parameter struct with the node's defaults (free() it). */
void *dt_params(const lathe_node_desc *d);

/* Runs the node on one input; aborts on error (tests of errors call tu_node_run directly). */
tu_signal dt_run(const lathe_node_desc *d, const void *params, const tu_signal *in, uint32_t block);

/* Largest |a - b| over all channels and frames, as dBFS (-400 when identical). */
double dt_diff_db(const tu_signal *a, const tu_signal *b);

/* Value of "key=value" in a report text (NAN when absent). */
double dt_report(const char *report, const char *key);

/* Band-limited-ish test program: white noise with a slow random envelope, deterministic. */
tu_signal dt_program(uint32_t rate, uint32_t channels, uint64_t frames, double peak);

/* Fails each allocation of a run in turn: every run must end in LATHE_ERR_NOMEM or in the
 * reference output (the ASan build checks that nothing leaks). Returns the number of NOMEM
 * runs, or -1 when a run went wrong. */
int dt_oom(const lathe_node_desc *d, const void *params, const tu_signal *in);

/* dt_oom on a 5000-frame stereo programme at `rate`: at least two runs must end in NOMEM (the
 * node allocates), and none otherwise wrong. */
void dt_check_oom(const lathe_node_desc *d, const void *params, uint32_t rate);

#endif

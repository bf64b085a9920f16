/* clitest.h - running the lathe binary in a scratch folder as a user would: write scripts, run
 * commands, read what they wrote. ct_setup() takes the binary from $LATHE_BIN (set by CTest). */
#ifndef LATHE_CLITEST_H
#define LATHE_CLITEST_H

extern char ct_dir[512];  /* the scratch folder */
extern const char *ct_bin; /* the lathe binary */

/* Makes the scratch folder; exits with a failing closing line when LATHE_BIN is not set. */
void ct_setup(void);
void ct_cleanup(void);

/* Names are relative to the scratch folder unless absolute. */
void ct_write(const char *name, const char *text);
void ct_write_n(const char *name, const char *text, unsigned long len);
/* The whole file, NUL-terminated (malloc'd), or NULL; *len (may be NULL) gets its length. */
char *ct_slurp(const char *name, long *len);
int ct_exists(const char *name);
/* Interleaved float frames of an audio file (malloc'd); returns frames, -1 if unreadable. */
long ct_read_audio(const char *name, float **out, int *channels, int *format);

/* libebur128's integrated loudness and true peak (dBTP) of a file of the scratch folder, and
 * its length in frames (NAN, NAN without libebur128; frames -1 when unreadable). */
void ct_ebur128(const char *name, double *lufs, double *tp_db, long *frames);
/* Runs `lathe ARGS` in the scratch folder, stdout to stdout.txt (or `out`), stderr to
 * stderr.txt; returns the exit code. */
int ct_lathe(const char *args);
int ct_lathe_to(const char *args, const char *out);
/* stderr.txt of the last command contains needle (printed when it does not). */
int ct_stderr_has(const char *needle);
/* The types of the DSP nodes that ran, from a run's --json ("loudness limit "), into buf. */
struct json_t;
void ct_nodes_ran(const struct json_t *run, char *buf, unsigned long size);
/* Occurrences of needle in hay. */
int ct_count(const char *hay, const char *needle);

#endif

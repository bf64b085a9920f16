/* options.h - the command-line options shared by render and master. */
#ifndef LATHE_OPTIONS_H
#define LATHE_OPTIONS_H

#include "cache/cache.h"
#include "lathe/lathe.h"

#define LATHE_MAX_DEFINES 128
#define LATHE_MAX_ALLOW 16

typedef struct lathe_options {
    const char *out_dir;
    const char *defines[LATHE_MAX_DEFINES];
    int n_defines;
    int n_implicit; /* the first n_implicit defines are the program's own (may go unread) */
    const char *allow[LATHE_MAX_ALLOW];
    int n_allow;
    int threads;
    const char *cache_dir;
    int no_cache;
    const char *cache_remote; /* --cache-remote URL (else $LATHE_CACHE_REMOTE) */
    uint64_t cache_size;
    int json, quiet;
    const char *budget_hint; /* added to a render error about a limiting budget (max_gr_db) */
    int preview;          /* --preview: level-matched excerpts for A/B in report.html */
    double preview_at_s;  /* --preview-at S (NAN: the loudest stretch) */
    const char *positional[256];
    int n_positional;
} lathe_options;

/* Parses argv (from the command name on). `extra` handles command-specific options: returns
 * the number of arguments it consumed (1 or 2), 0 when it does not know the option, -1 on a
 * usage error it has reported. Returns 0, or 2 after printing a usage error. */
int lathe_options_parse(lathe_options *o, int argc, char **argv,
                        int (*extra)(void *ud, int argc, char **argv), void *ud);
/* Opens the cache the options name (NULL with --no-cache). Returns an exit code (0 ok). */
int lathe_options_open_cache(const lathe_options *o, lathe_cache **out);
/* Installs SIGINT/SIGTERM handlers that set *flag (a clean stop: temp files removed). */
volatile int *lathe_cli_cancel_flag(void);
/* A command entering a phase ("script", "rendering", "measuring", "previews", "report",
 * "checking"): 1 when SIGINT or SIGTERM arrived, then the command stops with exit 130 after
 * removing its temporary files. LATHE_TEST_INTERRUPT_AT=<phase> raises SIGINT there, so the
 * tests interrupt every phase the same way each time. */
int lathe_cli_phase(const char *name);
/* Inside a phase's long loops: 1 once a signal arrived. */
int lathe_cli_interrupted(void);

#endif

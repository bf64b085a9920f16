#define _POSIX_C_SOURCE 200809L
#include "options.h"

#include "cache/cache_remote.h"

#include "nodes/lv2_world.h"

#include <errno.h>
#include <signal.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile sig_atomic_t cancel_flag;
static volatile int cancel_int;

static void on_signal(int sig)
{
    (void)sig;
    cancel_flag = 1;
    cancel_int = 1;
}

volatile int *lathe_cli_cancel_flag(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return &cancel_int;
}

int lathe_cli_phase(const char *name)
{
    const char *at = getenv("LATHE_TEST_INTERRUPT_AT");
    if (at && strcmp(at, name) == 0)
        raise(SIGINT);
    return cancel_flag != 0;
}

int lathe_cli_interrupted(void)
{
    return cancel_flag != 0;
}

static int need(int i, int argc, char **argv)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "lathe %s: %s needs a value\n", argv[0], argv[i]);
        return 0;
    }
    return 1;
}

int lathe_options_parse(lathe_options *o, int argc, char **argv,
                        int (*extra)(void *ud, int argc, char **argv), void *ud)
{
    memset(o, 0, sizeof *o);
    o->threads = 1;
    o->cache_size = LATHE_CACHE_CAP_DEFAULT;
    o->preview_at_s = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!need(i, argc, argv))
                return 2;
            o->out_dir = argv[++i];
        } else if (strcmp(a, "-D") == 0 || strncmp(a, "-D", 2) == 0) {
            const char *d = a[2] ? a + 2 : (need(i, argc, argv) ? argv[++i] : NULL);
            if (!d)
                return 2;
            const char *eq = strchr(d, '=');
            if (!eq || eq == d) {
                fprintf(stderr, "lathe %s: -D %s: expected name=value\n", argv[0], d);
                return 2;
            }
            if (o->n_defines == LATHE_MAX_DEFINES) {
                fprintf(stderr, "lathe %s: too many -D values\n", argv[0]);
                return 2;
            }
            o->defines[o->n_defines++] = d;
        } else if (strcmp(a, "-j") == 0 || strcmp(a, "--jobs") == 0 || strncmp(a, "-j", 2) == 0) {
            const char *v = a[1] == 'j' && a[2] ? a + 2 : (need(i, argc, argv) ? argv[++i] : NULL);
            if (!v)
                return 2;
            char *end;
            long j = strtol(v, &end, 10);
            if (!*v || *end || j < 1 || j > 64) {
                fprintf(stderr, "lathe %s: -j %s: expected a thread count from 1 to 64\n", argv[0], v);
                return 2;
            }
            o->threads = (int)j;
        } else if (strcmp(a, "--cache") == 0) {
            if (!need(i, argc, argv))
                return 2;
            o->cache_dir = argv[++i];
        } else if (strcmp(a, "--cache-remote") == 0) {
            if (!need(i, argc, argv))
                return 2;
            o->cache_remote = argv[++i];
        } else if (strcmp(a, "--no-cache") == 0) {
            o->no_cache = 1;
        } else if (strcmp(a, "--cache-size") == 0) {
            if (!need(i, argc, argv))
                return 2;
            char *end;
            double v = strtod(argv[++i], &end);
            double mul = *end == 'G' || *end == 'g' ? 1073741824.0 : *end == 'M' || *end == 'm' ? 1048576.0 : 1.0;
            if (!(v > 0) || !isfinite(v * mul) || v * mul >= 9.2e18 || (*end && mul == 1.0)) {
                fprintf(stderr, "lathe %s: --cache-size %s: expected bytes, or a size like 512M or 4G\n", argv[0], argv[i]);
                return 2;
            }
            o->cache_size = (uint64_t)(v * mul);
        } else if (strcmp(a, "--allow-path") == 0) {
            if (!need(i, argc, argv))
                return 2;
            if (o->n_allow < LATHE_MAX_ALLOW)
                o->allow[o->n_allow++] = argv[++i];
        } else if (strcmp(a, "--preview") == 0) {
            o->preview = 1;
        } else if (strcmp(a, "--preview-at") == 0) {
            if (!need(i, argc, argv))
                return 2;
            char *end;
            o->preview_at_s = strtod(argv[++i], &end);
            if (!*argv[i] || *end || !(o->preview_at_s >= 0)) {
                fprintf(stderr, "lathe %s: --preview-at %s: expected whole seconds from the "
                                "start\n", argv[0], argv[i]);
                return 2;
            }
            o->preview = 1;
        } else if (strcmp(a, "--no-plugins") == 0) {
            lathe_lv2_refuse(); /* a script naming an LV2 plugin then fails at its lv2 node */
        } else if (strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (strcmp(a, "--quiet") == 0 || strcmp(a, "-q") == 0) {
            o->quiet = 1;
        } else {
            int used = extra ? extra(ud, argc - i, argv + i) : 0;
            if (used < 0)
                return 2;
            if (used > 0) {
                i += used - 1;
            } else if (a[0] == '-' && a[1]) {
                fprintf(stderr, "lathe %s: unknown option %s (see `lathe help %s`)\n", argv[0], a, argv[0]);
                return 2;
            } else if (o->n_positional < 256) {
                o->positional[o->n_positional++] = a;
            }
        }
    }
    return 0;
}

/* The cache's MAC key (cache/cache_seal.c) from LATHE_CACHE_KEY, or the file named by
 * LATHE_CACHE_KEY_FILE (its first line): a secret shared by the machines of one cache, kept out
 * of command lines (which other users can read in /proc). 0, or -1 with err. */
static int cache_key(lathe_cache *c, char *err, size_t err_size)
{
    const char *key = getenv("LATHE_CACHE_KEY"), *file = getenv("LATHE_CACHE_KEY_FILE");
    char buf[512];
    if (file && *file) {
        FILE *f = fopen(file, "r");
        if (!f) {
            snprintf(err, err_size, "LATHE_CACHE_KEY_FILE %s: cannot read: %s", file,
                     strerror(errno));
            return -1;
        }
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        buf[strcspn(buf, "\r\n")] = 0;
        key = buf;
    }
    if (!key || !*key)
        return 0;
    int rc = lathe_cache_set_key(c, key, strlen(key), err, err_size);
    memset(buf, 0, sizeof buf);
    return rc == LATHE_OK ? 0 : -1;
}

int lathe_options_open_cache(const lathe_options *o, lathe_cache **out)
{
    *out = NULL;
    if (o->no_cache)
        return 0;
    char dir[4096], err[LATHE_ERR_MAX + 128];
    if (o->cache_dir)
        snprintf(dir, sizeof dir, "%s", o->cache_dir);
    else if (lathe_cache_default_dir(dir, sizeof dir) != LATHE_OK) {
        fprintf(stderr, "lathe: no cache folder (set LATHE_CACHE or HOME, or use --no-cache)\n");
        return 3;
    }
    int rc = lathe_cache_open(dir, o->cache_size, out, err, sizeof err);
    if (rc != LATHE_OK) {
        fprintf(stderr, "lathe: %s (or use --no-cache)\n", err);
        return 3;
    }
    /* A shared HTTP cache under the local one (--cache-remote, else LATHE_CACHE_REMOTE);
     * LATHE_CACHE_REMOTE_READONLY=1 for workers that may read it but must not write. */
    const char *remote = o->cache_remote ? o->cache_remote : getenv("LATHE_CACHE_REMOTE");
    const char *ro = getenv("LATHE_CACHE_REMOTE_READONLY");
    if (remote && *remote &&
        lathe_cache_set_remote(*out, remote, ro && *ro && strcmp(ro, "0") != 0, err, sizeof err)
            != LATHE_OK) {
        fprintf(stderr, "lathe: %s\n", err);
        lathe_cache_free(*out);
        *out = NULL;
        return 2;
    }
    if (cache_key(*out, err, sizeof err) != 0) {
        fprintf(stderr, "lathe: %s\n", err);
        lathe_cache_free(*out);
        *out = NULL;
        return 2;
    }
    return 0;
}

/* cachecheck.h - for robustness tests: walk a cache folder and open every entry through the cache
 * API (which verifies header, length and checksum), so "the cache is still valid" is measured,
 * not assumed. Header-only (static inline) so each test can include it. */
#ifndef LATHE_CACHECHECK_H
#define LATHE_CACHECHECK_H

#include "cache/cache.h"
#include "cache/cache_int.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct cc_result {
    int entries;  /* complete entries found */
    int bad;      /* entries the cache API refused (corrupt: removed by it) */
    int temps;    /* temp files (debris of killed writers; never at a final name) */
    int strays;   /* names the cache does not write */
} cc_result;

static inline int cc_check_entry(lathe_cache *c, const char *name)
{
    lathe_key key;
    char hex[33];
    memcpy(hex, name, 32);
    hex[32] = 0;
    if (lathe_key_from_hex(hex, &key) != LATHE_CACHE_OK)
        return 0;
    int kind = name[33];
    if (kind == LATHE_CACHE_KIND_AUDIO) {
        lathe_cache_reader *r;
        if (lathe_cache_reader_open(c, key, &r) != LATHE_CACHE_OK)
            return 0;
        lathe_cache_reader_free(r);
        return 1;
    }
    size_t cap = LATHE_CACHE_BLOB_MAX + LATHE_CACHE_PATH_MAX, len;
    void *buf = malloc(cap);
    int ok = buf && lathe_cache_small_get(c, kind, key, buf, cap, &len) == LATHE_CACHE_OK;
    free(buf);
    return ok;
}

/* Opens every entry under dir/v1 with the cache API. Returns 0 when the walk itself worked. */
static inline int cc_verify(const char *dir, cc_result *res)
{
    memset(res, 0, sizeof *res);
    lathe_cache *c;
    char err[512], sub[4096];
    if (lathe_cache_open(dir, 0, &c, err, sizeof err) != LATHE_CACHE_OK) {
        fprintf(stderr, "  %s\n", err);
        return -1;
    }
    snprintf(sub, sizeof sub, "%s/v1", dir);
    DIR *top = opendir(sub);
    struct dirent *d, *e;
    while (top && (d = readdir(top)) != NULL) {
        if (d->d_name[0] == '.')
            continue;
        char fan[4400];
        snprintf(fan, sizeof fan, "%s/%s", sub, d->d_name);
        DIR *in = opendir(fan);
        while (in && (e = readdir(in)) != NULL) {
            const char *n = e->d_name;
            if (n[0] == '.')
                continue;
            if (strstr(n, ".tmp."))
                res->temps++;
            else if (strlen(n) == 34 && n[32] == '.') {
                res->entries++;
                res->bad += !cc_check_entry(c, n);
            } else
                res->strays++;
        }
        if (in)
            closedir(in);
    }
    if (top)
        closedir(top);
    lathe_cache_stats st = lathe_cache_get_stats(c);
    if ((int)st.corrupt > res->bad)
        res->bad = (int)st.corrupt;
    lathe_cache_free(c);
    return 0;
}

#endif

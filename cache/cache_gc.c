/* cache_gc.c - walking the entry folders: scan, least-recently-used eviction, clear. Only names
 * the cache writes are ever touched: <32 hex>.<kind> entries and their *.tmp.* temp files in
 * two-hex-digit folders under DIR/v1. */
#define _POSIX_C_SOURCE 200809L
#include "cache_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { NAME_OTHER, NAME_ENTRY, NAME_TEMP };

typedef int (*walk_fn)(void *ctx, const char *sub, const char *name, const struct stat *sb,
                       int what);

static int is_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

static int classify(const char *name)
{
    size_t n = strlen(name);
    if (n < LATHE_CACHE_NAME_LEN || !is_hex(name, 32) || name[32] != '.' ||
        !strchr("abofnd", name[33]))
        return NAME_OTHER;
    if (n == LATHE_CACHE_NAME_LEN)
        return NAME_ENTRY;
    return strncmp(name + LATHE_CACHE_NAME_LEN, ".tmp.", 5) == 0 ? NAME_TEMP : NAME_OTHER;
}

/* Calls fn for every entry and temp file; stops at the first non-zero return. */
static int walk(const char *dir, walk_fn fn, void *ctx)
{
    char vdir[LATHE_CACHE_DIR_MAX + 8], sub[LATHE_CACHE_DIR_MAX + 16];
    if (strlen(dir) >= LATHE_CACHE_DIR_MAX)
        return LATHE_CACHE_ERR_PARAM;
    snprintf(vdir, sizeof vdir, "%s/" LATHE_CACHE_VDIR, dir);
    DIR *top = opendir(vdir);
    if (!top)
        return errno == ENOENT ? LATHE_CACHE_OK : LATHE_CACHE_ERR_IO;
    int rc = LATHE_CACHE_OK;
    struct dirent *d;
    while (rc == LATHE_CACHE_OK && (d = readdir(top))) {
        if (strlen(d->d_name) != 2 || !is_hex(d->d_name, 2))
            continue;
        snprintf(sub, sizeof sub, "%s/%.2s", vdir, d->d_name);
        DIR *in = opendir(sub);
        if (!in)
            continue; /* removed by a concurrent clear */
        struct dirent *e;
        while (rc == LATHE_CACHE_OK && (e = readdir(in))) {
            int what = classify(e->d_name);
            struct stat sb;
            if (what == NAME_OTHER || fstatat(dirfd(in), e->d_name, &sb, 0) != 0)
                continue; /* vanished meanwhile: another process evicted or replaced it */
            rc = fn(ctx, sub, e->d_name, &sb, what);
        }
        closedir(in);
    }
    closedir(top);
    return rc;
}

static int64_t mtime_ns(const struct stat *sb)
{
    return (int64_t)sb->st_mtim.tv_sec * 1000000000 + sb->st_mtim.tv_nsec;
}

typedef struct scan_ctx {
    uint64_t entries, bytes;
} scan_ctx;

static int scan_one(void *ctx, const char *sub, const char *name, const struct stat *sb, int what)
{
    scan_ctx *s = ctx;
    if (what == NAME_ENTRY) {
        s->entries++;
        s->bytes += (uint64_t)sb->st_size;
    }
    return LATHE_CACHE_OK;
}

int lathe_cache_scan(const char *dir, uint64_t *entries, uint64_t *bytes)
{
    scan_ctx s = { 0, 0 };
    int rc = walk(dir, scan_one, &s);
    *entries = s.entries;
    *bytes = s.bytes;
    return rc;
}

typedef struct gc_item {
    int64_t mtime_ns;
    uint64_t size;
    char name[LATHE_CACHE_NAME_LEN + 1];
} gc_item;

typedef struct gc_ctx {
    gc_item *items;
    size_t n, cap;
    int64_t now_ns;
    lathe_cache_gc_result res;
} gc_ctx;

static int gc_one(void *ctx, const char *sub, const char *name, const struct stat *sb, int what)
{
    gc_ctx *g = ctx;
    if (what == NAME_TEMP) {
        /* Temps are written continuously; one untouched for an hour belongs to a dead process. */
        if (g->now_ns - mtime_ns(sb) > (int64_t)LATHE_CACHE_STALE_TEMP_S * 1000000000) {
            char p[LATHE_CACHE_PATH_MAX];
            snprintf(p, sizeof p, "%s/%.100s", sub, name);
            if (unlink(p) == 0)
                g->res.removed_temps++;
        }
        return LATHE_CACHE_OK;
    }
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 1024;
        gc_item *it = lathe_cache_realloc(g->items, cap * sizeof *it);
        if (!it)
            return LATHE_CACHE_ERR_NOMEM;
        g->items = it;
        g->cap = cap;
    }
    gc_item *it = &g->items[g->n++];
    it->mtime_ns = mtime_ns(sb);
    it->size = (uint64_t)sb->st_size;
    memcpy(it->name, name, sizeof it->name);
    g->res.entries++;
    g->res.bytes += it->size;
    return LATHE_CACHE_OK;
}

static int by_age(const void *a, const void *b)
{
    const gc_item *x = a, *y = b;
    if (x->mtime_ns != y->mtime_ns)
        return x->mtime_ns < y->mtime_ns ? -1 : 1;
    return strcmp(x->name, y->name); /* deterministic order among equal times */
}

int lathe_cache_gc(lathe_cache *c, uint64_t cap, lathe_cache_gc_result *res)
{
    gc_ctx g = { 0 };
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    g.now_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
    if (cap == 0)
        cap = c->cap;
    int rc = walk(c->dir, gc_one, &g);
    if (rc == LATHE_CACHE_OK && g.res.bytes > cap) {
        qsort(g.items, g.n, sizeof *g.items, by_age);
        for (size_t i = 0; i < g.n && g.res.bytes > cap; i++) {
            char p[LATHE_CACHE_PATH_MAX];
            snprintf(p, sizeof p, "%s/" LATHE_CACHE_VDIR "/%.2s/%s", c->dir, g.items[i].name,
                     g.items[i].name);
            /* ENOENT: another process evicted it first; it is gone either way. */
            if (unlink(p) == 0 || errno == ENOENT) {
                g.res.entries--;
                g.res.bytes -= g.items[i].size;
                g.res.removed_entries++;
                g.res.removed_bytes += g.items[i].size;
            }
        }
    }
    lathe_cache_dealloc(g.items);
    if (res)
        *res = g.res;
    return rc;
}

static int clear_one(void *ctx, const char *sub, const char *name, const struct stat *sb,
                     int what)
{
    char p[LATHE_CACHE_PATH_MAX];
    snprintf(p, sizeof p, "%s/%.100s", sub, name);
    unlink(p);
    return LATHE_CACHE_OK;
}

/* Removes files in folder whose names start with prefix. */
static void unlink_prefixed(const char *folder, const char *prefix)
{
    char p[LATHE_CACHE_PATH_MAX];
    DIR *d = opendir(folder);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strncmp(e->d_name, prefix, strlen(prefix)) == 0) {
            snprintf(p, sizeof p, "%s/%.100s", folder, e->d_name);
            unlink(p);
        }
    closedir(d);
}

int lathe_cache_clear(const char *dir)
{
    char vdir[LATHE_CACHE_DIR_MAX + 8], p[LATHE_CACHE_PATH_MAX];
    if (!lathe_cache_is_ours(dir))
        return LATHE_CACHE_ERR_PARAM; /* touch nothing in a folder lathe did not make */
    int rc = walk(dir, clear_one, NULL);
    if (rc == LATHE_CACHE_ERR_PARAM)
        return rc;
    snprintf(vdir, sizeof vdir, "%s/" LATHE_CACHE_VDIR, dir);
    for (int i = 0; i < 256; i++) {
        snprintf(p, sizeof p, "%s/%02x", vdir, i);
        rmdir(p); /* fails harmlessly if a concurrent writer just put something in it */
    }
    unlink_prefixed(vdir, ".probe.");
    rmdir(vdir);
    snprintf(p, sizeof p, "%s/stats", dir);
    unlink(p);
    unlink_prefixed(dir, "stats.tmp.");
    return rc;
}

int lathe_cache_remove(const char *dir)
{
    char p[LATHE_CACHE_PATH_MAX];
    int rc = lathe_cache_clear(dir);
    snprintf(p, sizeof p, "%s/CACHEDIR.TAG", dir);
    unlink(p);
    if (rmdir(dir) != 0 && rc == LATHE_CACHE_OK)
        rc = LATHE_CACHE_ERR_IO;
    return rc;
}

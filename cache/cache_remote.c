/* cache_remote.c - GET/PUT of cache entries on an HTTP server (see cache_remote.h). */
#define _POSIX_C_SOURCE 200809L
#include "cache_remote.h"
#include "cache_int.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define URL_MAX 2048

/* A remote given up on stays given up for the process: a batch opens one cache per track, and
 * a dead server should cost one warning and one timeout, not one per track. */
static atomic_int process_down;

struct lathe_cache_remote {
    char base[URL_MAX];
    int read_only;
    atomic_int down;  /* set by the first failure: one warning, then local only */
    _Atomic uint64_t hits, misses, puts, failures;
};

int lathe_cache_set_remote(lathe_cache *c, const char *url, int read_only, char *err,
                           size_t errsz)
{
    size_t n = strlen(url);
    if ((strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) ||
        n + 64 >= URL_MAX) {
        snprintf(err, errsz, "cache remote '%s': expected an http:// or https:// URL", url);
        return LATHE_CACHE_ERR_PARAM;
    }
    struct lathe_cache_remote *r = lathe_cache_calloc(1, sizeof *r);
    if (!r || curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
        lathe_cache_dealloc(r);
        snprintf(err, errsz, "cannot initialise the cache remote");
        return LATHE_CACHE_ERR_NOMEM;
    }
    snprintf(r->base, sizeof r->base, "%.*s", (int)(n && url[n - 1] == '/' ? n - 1 : n), url);
    r->read_only = read_only;
    lathe_cache_dealloc(c->remote);
    c->remote = r;
    return LATHE_CACHE_OK;
}

lathe_cache_remote_stats lathe_cache_get_remote_stats(const lathe_cache *c)
{
    lathe_cache_remote_stats s = {0};
    if (c && c->remote) {
        s.hits = atomic_load(&c->remote->hits);
        s.misses = atomic_load(&c->remote->misses);
        s.puts = atomic_load(&c->remote->puts);
        s.failures = atomic_load(&c->remote->failures);
    }
    return s;
}

void lathe_cache_remote_free(struct lathe_cache_remote *r)
{
    lathe_cache_dealloc(r);
}

/* The remote failed in a way that will not get better within this run: say so once. */
static void give_up(struct lathe_cache_remote *r, const char *what)
{
    atomic_fetch_add(&r->failures, 1);
    atomic_store(&r->down, 1);
    if (atomic_exchange(&process_down, 1) == 0)
        fprintf(stderr, "lathe: warning: cache remote %s: %s; going on with the local cache "
                        "only\n", r->base, what);
}

static CURL *easy(struct lathe_cache_remote *r, lathe_key key, int kind)
{
    char hex[33], url[URL_MAX + 64];
    lathe_key_to_hex(key, hex);
    snprintf(url, sizeof url, "%s/" LATHE_CACHE_VDIR "/%.2s/%s.%c", r->base, hex, hex, kind);
    CURL *h = curl_easy_init();
    if (!h)
        return NULL;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)LATHE_CACHE_REMOTE_CONNECT_MS);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1024L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)LATHE_CACHE_REMOTE_STALL_S);
    return h;
}

typedef struct sink {
    int fd, failed;
} sink;

static size_t to_fd(char *p, size_t size, size_t n, void *ud)
{
    sink *s = ud;
    if (lathe_cache_write_full(s->fd, p, size * n) != LATHE_CACHE_OK) {
        s->failed = 1;
        return 0;
    }
    return size * n;
}

int lathe_cache_remote_fetch(lathe_cache *c, lathe_key key, int kind)
{
    struct lathe_cache_remote *r = c->remote;
    if (!r || atomic_load(&r->down) || atomic_load(&process_down))
        return LATHE_CACHE_MISS;
    char final[LATHE_CACHE_PATH_MAX], tmp[LATHE_CACHE_PATH_MAX];
    sink s = {-1, 0};
    lathe_cache_entry_path(c, key, kind, 0, final);
    if (lathe_cache_entry_create(c, final, tmp, &s.fd) != LATHE_CACHE_OK)
        return LATHE_CACHE_MISS;
    CURL *h = easy(r, key, kind);
    long status = 0;
    CURLcode rc = CURLE_FAILED_INIT;
    if (h) {
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_fd);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_FAILONERROR, 0L);
        rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
    }
    if (rc == CURLE_OK && status == 200 && !s.failed) {
        /* Published like a local write; the caller's open then checks it like any entry. */
        if (lathe_cache_entry_publish(c, s.fd, tmp, final, 0) >= 0) {
            atomic_fetch_add(&r->hits, 1);
            return LATHE_CACHE_OK;
        }
        return LATHE_CACHE_MISS;
    }
    close(s.fd);
    unlink(tmp);
    if (rc != CURLE_OK && !s.failed)
        give_up(r, curl_easy_strerror(rc));
    else if (rc == CURLE_OK && status != 404 && status != 200) {
        char why[64];
        snprintf(why, sizeof why, "GET answered HTTP %ld", status);
        give_up(r, why);
    } else
        atomic_fetch_add(&r->misses, 1);
    return LATHE_CACHE_MISS;
}

/* HEAD: 1 when the remote already holds the entry (another worker computed it too). */
static int remote_has(struct lathe_cache_remote *r, lathe_key key, int kind)
{
    CURL *h = easy(r, key, kind);
    long status = 0;
    if (!h)
        return 0;
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return rc == CURLE_OK && status == 200;
}

int lathe_cache_remote_takes(const lathe_cache *c)
{
    const struct lathe_cache_remote *r = c->remote;
    return r && !r->read_only && !atomic_load(&r->down) && !atomic_load(&process_down);
}

void lathe_cache_remote_push(lathe_cache *c, lathe_key key, int kind)
{
    struct lathe_cache_remote *r = c->remote;
    if (!r || r->read_only || atomic_load(&r->down) || atomic_load(&process_down))
        return;
    /* Streams and files are large: one HEAD saves re-sending what a concurrent shard stored.
     * (An entry of one key is the same bytes wherever it was computed.) */
    if ((kind == LATHE_CACHE_KIND_AUDIO || kind == LATHE_CACHE_KIND_FILE) &&
        remote_has(r, key, kind))
        return;
    char path[LATHE_CACHE_PATH_MAX];
    lathe_cache_entry_path(c, key, kind, 0, path);
    FILE *f = fopen(path, "rb");
    struct stat sb;
    if (!f || fstat(fileno(f), &sb) != 0) {
        if (f)
            fclose(f);
        return; /* evicted meanwhile: nothing to share */
    }
    CURL *h = easy(r, key, kind);
    long status = 0;
    CURLcode rc = CURLE_FAILED_INIT;
    if (h) {
        curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
        curl_easy_setopt(h, CURLOPT_READDATA, f);
        curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)sb.st_size);
        rc = curl_easy_perform(h);
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        curl_easy_cleanup(h);
    }
    fclose(f);
    if (rc != CURLE_OK)
        give_up(r, curl_easy_strerror(rc));
    else if (status < 200 || status >= 300) {
        char why[64];
        snprintf(why, sizeof why, "PUT answered HTTP %ld", status);
        give_up(r, why);
    } else
        atomic_fetch_add(&r->puts, 1);
}

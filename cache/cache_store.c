/* cache_store.c - the cache folder as a whole: opening, default location, run statistics,
 * scanning, least-recently-used eviction and clearing. No locks but one: every change is one
 * unlink or one rename, each safe against any other process doing the same at the same time,
 * except the run statistics, a read-append-rename that a lock on `stats.lock` serialises (a
 * catalogue's worker processes finish side by side on one cache, and a lost line lost their
 * counts). */
#define _POSIX_C_SOURCE 200809L
#include "cache_int.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STATS_FILE "stats"
#define STATS_KEEP 32

int lathe_cache_default_dir(char *buf, size_t size)
{
    const char *env = getenv("LATHE_CACHE");
    int n;
    if (env && *env) {
        n = snprintf(buf, size, "%s", env);
    } else if ((env = getenv("XDG_CACHE_HOME")) && env[0] == '/') {
        n = snprintf(buf, size, "%s/lathe", env); /* XDG: relative values are ignored */
    } else if ((env = getenv("HOME")) && *env) {
        n = snprintf(buf, size, "%s/.cache/lathe", env);
    } else {
        return LATHE_CACHE_ERR_IO;
    }
    return n < 0 || (size_t)n >= size ? LATHE_CACHE_ERR_PARAM : LATHE_CACHE_OK;
}

/* mkdir -p; LATHE_CACHE_OK if path ends up a folder. */
static int make_dirs(const char *path)
{
    char p[LATHE_CACHE_PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        mkdir(p, 0777);
        *s = '/';
    }
    struct stat sb;
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
        return LATHE_CACHE_ERR_IO;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) ? LATHE_CACHE_OK : LATHE_CACHE_ERR_IO;
}

static uint64_t seed_random(void)
{
    uint64_t s = 0;
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd >= 0) {
        if (read(fd, &s, sizeof s) != (ssize_t)sizeof s)
            s = 0;
        close(fd);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return s ^ ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)ts.tv_sec << 20;
}

/* Proves the folder writable by creating and removing a file in it (access(2) misses read-only
 * mounts and ACLs). */
static int probe_writable(lathe_cache *c, const char vdir[LATHE_CACHE_DIR_MAX + 8])
{
    char p[LATHE_CACHE_PATH_MAX];
    snprintf(p, sizeof p, "%s/.probe.%ld.%016llx", vdir, (long)getpid(),
             (unsigned long long)lathe_cache_random(c));
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0666);
    if (fd < 0)
        return LATHE_CACHE_ERR_IO;
    close(fd);
    unlink(p);
    return LATHE_CACHE_OK;
}

/* The tag of https://bford.info/cachedir/: backup tools skip the folder, and lathe knows it as its
 * own. */
#define CACHEDIR_TAG "Signature: 8a477f597d28d172789f06886806bc55\n" \
                     "# This file is a cache directory tag created by lathe (lathe cache clear empties it).\n"

int lathe_cache_is_ours(const char *dir)
{
    char p[LATHE_CACHE_DIR_MAX + 16], buf[256] = "";
    snprintf(p, sizeof p, "%s/CACHEDIR.TAG", dir);
    FILE *f = fopen(p, "r");
    if (f) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        if (strstr(buf, "created by lathe"))
            return 1;
        /* another tool's tag, or ours being written by a process opening the cache right now:
         * the layout decides */
    }
    /* Empty, then the layout: in this order, a folder another process is making into a cache
     * right now (its v1 made, its tag not yet) is seen empty or with its v1. */
    DIR *d = opendir(dir);
    if (!d)
        return 1; /* a new folder is made as a cache; an unusable path fails as not writable */
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    struct stat st;
    snprintf(p, sizeof p, "%s/" LATHE_CACHE_VDIR, dir);
    return empty || (stat(p, &st) == 0 && S_ISDIR(st.st_mode)); /* v1: a lathe from before tags */
}

static void write_tag(const char *dir)
{
    char p[LATHE_CACHE_DIR_MAX + 16];
    snprintf(p, sizeof p, "%s/CACHEDIR.TAG", dir);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return; /* there already, or a read-only cache: either way nothing to do */
    if (write(fd, CACHEDIR_TAG, sizeof CACHEDIR_TAG - 1) < 0) {
        /* an untagged cache still works */
    }
    close(fd);
}

int lathe_cache_open(const char *dir, uint64_t size_cap_bytes, lathe_cache **out, char *err,
                     size_t errsz)
{
    if (!lathe_cache_is_ours(dir)) {
        snprintf(err, errsz, "cache folder '%s' holds files lathe did not make (no CACHEDIR.TAG): "
                 "name a new or empty folder with --cache DIR", dir);
        return LATHE_CACHE_ERR_IO;
    }
    char vdir[LATHE_CACHE_DIR_MAX + 8];
    if (strlen(dir) >= LATHE_CACHE_DIR_MAX) {
        snprintf(err, errsz, "cache folder path is too long");
        return LATHE_CACHE_ERR_IO;
    }
    lathe_cache *c = lathe_cache_calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, errsz, "out of memory opening the cache");
        return LATHE_CACHE_ERR_NOMEM;
    }
    snprintf(c->dir, sizeof c->dir, "%s", dir);
    c->cap = size_cap_bytes ? size_cap_bytes : LATHE_CACHE_CAP_DEFAULT;
    atomic_init(&c->rng, seed_random());
    atomic_init(&c->hits, 0);
    atomic_init(&c->misses, 0);
    atomic_init(&c->corrupt, 0);
    atomic_init(&c->bytes_read, 0);
    atomic_init(&c->bytes_written, 0);
    snprintf(vdir, sizeof vdir, "%s/" LATHE_CACHE_VDIR, dir);
    if (make_dirs(vdir) != LATHE_CACHE_OK || probe_writable(c, vdir) != LATHE_CACHE_OK) {
        snprintf(err, errsz,
                 "cache folder '%s' is not writable: %s (use --cache DIR or --no-cache)", dir,
                 strerror(errno));
        lathe_cache_dealloc(c);
        return LATHE_CACHE_ERR_IO;
    }
    write_tag(dir);
    if (pthread_mutex_init(&c->lock, NULL) != 0) {
        snprintf(err, errsz, "cannot initialise the cache");
        lathe_cache_dealloc(c);
        return LATHE_CACHE_ERR_NOMEM;
    }
    *out = c;
    return LATHE_CACHE_OK;
}

void lathe_cache_free(lathe_cache *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    lathe_cache_remote_free(c->remote);
    lathe_cache_drop_key(c);
    lathe_cache_dealloc(c);
}

void lathe_cache_set_fsync(lathe_cache *c, int on)
{
    c->fsync = on;
}

const char *lathe_cache_dir(const lathe_cache *c)
{
    return c->dir;
}

uint64_t lathe_cache_size_cap(const lathe_cache *c)
{
    return c->cap;
}

lathe_cache_stats lathe_cache_get_stats(const lathe_cache *c)
{
    lathe_cache *m = (lathe_cache *)c; /* atomic loads need a non-const object in C11 */
    lathe_cache_stats s = { atomic_load(&m->hits), atomic_load(&m->misses),
                            atomic_load(&m->corrupt), atomic_load(&m->bytes_read),
                            atomic_load(&m->bytes_written) };
    return s;
}

void lathe_cache_last_message(lathe_cache *c, char *buf, size_t size)
{
    pthread_mutex_lock(&c->lock);
    snprintf(buf, size, "%s", c->msg);
    pthread_mutex_unlock(&c->lock);
}

/* ---- Stats file: one text line per run ------------------------------------------------------ */

static int parse_run(const char *line, lathe_cache_run *r)
{
    long long t;
    unsigned long long v[5];
    if (sscanf(line, "%lld %llu %llu %llu %llu %llu", &t, &v[0], &v[1], &v[2], &v[3], &v[4]) != 6)
        return 0;
    r->time_s = t;
    r->stats = (lathe_cache_stats){ v[0], v[1], v[2], v[3], v[4] };
    return 1;
}

int lathe_cache_stats_load(const char *dir, lathe_cache_run *runs, int max, int *n)
{
    char path[LATHE_CACHE_PATH_MAX], line[256];
    lathe_cache_run ring[STATS_KEEP];
    int count = 0;
    *n = 0;
    snprintf(path, sizeof path, "%s/" STATS_FILE, dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return LATHE_CACHE_OK;
    while (fgets(line, sizeof line, f))
        if (parse_run(line, &ring[count % STATS_KEEP]))
            count++;
    fclose(f);
    int have = count < STATS_KEEP ? count : STATS_KEEP;
    int take = have < max ? have : max;
    for (int i = 0; i < take; i++)
        runs[i] = ring[(count - take + i) % STATS_KEEP];
    *n = take;
    return LATHE_CACHE_OK;
}

int lathe_cache_stats_save(lathe_cache *c)
{
    lathe_cache_run runs[STATS_KEEP];
    char path[LATHE_CACHE_DIR_MAX + 16], tmp[LATHE_CACHE_PATH_MAX];
    int n, rc = LATHE_CACHE_OK;
    snprintf(path, sizeof path, "%s/" STATS_FILE ".lock", c->dir);
    int lock = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    while (lock >= 0 && fcntl(lock, F_SETLKW, &whole) != 0 && errno == EINTR)
        ; /* no lock (a filesystem without them): written as before, unserialised */
    lathe_cache_stats_load(c->dir, runs, STATS_KEEP - 1, &n);
    runs[n].time_s = (int64_t)time(NULL);
    runs[n].stats = lathe_cache_get_stats(c);
    n++;
    snprintf(path, sizeof path, "%s/" STATS_FILE, c->dir);
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld.%016llx", path, (long)getpid(),
             (unsigned long long)lathe_cache_random(c));
    FILE *f = fopen(tmp, "w");
    for (int i = 0; f && i < n; i++) {
        const lathe_cache_stats *s = &runs[i].stats;
        fprintf(f, "%lld %llu %llu %llu %llu %llu\n", (long long)runs[i].time_s,
                (unsigned long long)s->hits, (unsigned long long)s->misses,
                (unsigned long long)s->corrupt, (unsigned long long)s->bytes_read,
                (unsigned long long)s->bytes_written);
    }
    if (!f || fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        rc = LATHE_CACHE_ERR_IO;
    }
    if (lock >= 0)
        close(lock); /* releases the lock */
    return rc;
}

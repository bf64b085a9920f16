/* test_cache_share.c - one cache shared at once: by threads of one process (one lathe_cache
 * object) and by 2 and 4 processes writing and reading the same keys in one folder. No entry
 * may ever be read wrong or found corrupt, and every entry left must verify. */
#define _POSIX_C_SOURCE 200809L
#include "cache/cache.h"
#include "cachetest.h"
#include "testutil.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ---- several threads on one cache object ------------------------------------------------ */

typedef struct thread_arg {
    lathe_cache *c;
    int id;
    long wrong;
} thread_arg;

static void *thread_main(void *p)
{
    thread_arg *a = p;
    for (int i = 0; i < 50; i++) {
        lathe_key k = key_of("threads", (uint64_t)(a->id * 1000 + i % 5));
        lathe_cache_reader *r;
        if (i < 5) {
            a->wrong += write_audio_small(a->c, k, (uint64_t)a->id) != LATHE_CACHE_OK;
        } else if (lathe_cache_reader_open(a->c, k, &r) == LATHE_CACHE_OK) {
            a->wrong += lathe_cache_reader_format(r)->frames != 300;
            lathe_cache_reader_free(r);
        } else {
            a->wrong++;
        }
    }
    return NULL;
}

static void test_threads(lathe_cache *c)
{
    pthread_t t[4];
    thread_arg a[4];
    lathe_cache_stats before = lathe_cache_get_stats(c);
    for (int i = 0; i < 4; i++) {
        a[i] = (thread_arg){ c, i, 0 };
        pthread_create(&t[i], NULL, thread_main, &a[i]);
    }
    long wrong = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        wrong += a[i].wrong;
    }
    lathe_cache_stats after = lathe_cache_get_stats(c);
    CHECK(wrong == 0 && after.hits - before.hits == 4 * 45 &&
          after.bytes_written - before.bytes_written == 4 * 5 * (72 + 300 * 4 + 8),
          "4 threads: %ld wrong, %llu hits counted", wrong,
          (unsigned long long)(after.hits - before.hits));
}

/* ---- several processes ------------------------------------------------------------------- */

#define SHARE_KEYS 8
#define SHARE_ITERS 20

typedef struct child_report {
    uint64_t hits, misses, corrupt, wrong;
} child_report;

static uint64_t share_frames(int i)
{
    return 5000 + 7919 * (uint64_t)i;
}

/* One process: 20 rounds over the keys (2.1 MB of audio) in its own order, reading what is
 * there (checking every bit) and writing what is not; process 0 also evicts now and then. */
static child_report share_child(const char *dir, int id)
{
    child_report rep = { 0, 0, 0, 0 };
    lathe_cache *c;
    char err[512];
    if (lathe_cache_open(dir, 0, &c, err, sizeof err) != LATHE_CACHE_OK) {
        fprintf(stderr, "process %d cannot open the cache: %s\n", id, err);
        rep.wrong = 1000;
        return rep;
    }
    uint64_t st = 1234567 + (uint64_t)id * 7919;
    for (int it = 0; it < SHARE_ITERS; it++) {
        int order[SHARE_KEYS];
        for (int i = 0; i < SHARE_KEYS; i++)
            order[i] = i;
        for (int i = SHARE_KEYS - 1; i > 0; i--) {
            int j = (int)((tu_rand(&st) + 1.0) * 0.5 * (i + 1)) % (i + 1), t = order[i];
            order[i] = order[j];
            order[j] = t;
        }
        for (int j = 0; j < SHARE_KEYS; j++) {
            int i = order[j];
            lathe_key k = key_of("shared", (uint64_t)i);
            lathe_cache_reader *r;
            /* Every 4th round writes regardless: same-key writers overlap. */
            if (it % 4 != 0 && lathe_cache_reader_open(c, k, &r) == LATHE_CACHE_OK) {
                rep.wrong += check_audio(r, (uint64_t)i, 4096) != 0 ||
                             lathe_cache_reader_format(r)->frames != share_frames(i);
                lathe_cache_reader_free(r);
            } else if (write_audio(c, k, 2, share_frames(i), (uint64_t)i) != LATHE_CACHE_OK) {
                rep.wrong++;
            }
            double blob[16], back[16];
            size_t len;
            for (int b = 0; b < 16; b++)
                blob[b] = i * 100.0 + b;
            if (lathe_cache_get_blob(c, k, back, sizeof back, &len) == LATHE_CACHE_OK)
                rep.wrong += len != sizeof blob || memcmp(blob, back, sizeof blob) != 0;
            else
                lathe_cache_put_blob(c, k, blob, sizeof blob);
            if (tu_rand(&st) > 0.5)
                nanosleep(&(struct timespec){ 0, (long)((tu_rand(&st) + 1.0) * 3e5) }, NULL);
        }
        if (id == 0 && it % 3 == 2)
            lathe_cache_gc(c, 1u << 20, NULL); /* evicts about half while others read */
    }
    lathe_cache_stats s = lathe_cache_get_stats(c);
    rep.hits = s.hits;
    rep.misses = s.misses;
    rep.corrupt = s.corrupt;
    lathe_cache_free(c);
    return rep;
}

static void test_share(const char *tmp, int n_proc)
{
    char dir[600];
    int fds[2];
    snprintf(dir, sizeof dir, "%s/shared%d", tmp, n_proc);
    if (pipe(fds) != 0)
        return;
    fflush(stdout);
    for (int p = 0; p < n_proc; p++) {
        if (fork() == 0) {
            close(fds[0]);
            child_report rep = share_child(dir, p);
            ssize_t w = write(fds[1], &rep, sizeof rep); /* < PIPE_BUF: atomic */
            _exit(w == (ssize_t)sizeof rep ? 0 : 3);
        }
    }
    close(fds[1]);
    child_report tot = { 0, 0, 0, 0 }, rep;
    int got = 0, ok_exit = 0, status;
    while (read(fds[0], &rep, sizeof rep) == (ssize_t)sizeof rep) {
        tot.hits += rep.hits;
        tot.misses += rep.misses;
        tot.corrupt += rep.corrupt;
        tot.wrong += rep.wrong;
        got++;
    }
    close(fds[0]);
    while (wait(&status) > 0)
        ok_exit += WIFEXITED(status) && WEXITSTATUS(status) == 0;
    CHECK(got == n_proc && ok_exit == n_proc, "%d processes reported", n_proc);
    printf("shared cache, %d processes x %d rounds x %d keys: %llu hits, %llu misses\n", n_proc,
           SHARE_ITERS, SHARE_KEYS, (unsigned long long)tot.hits, (unsigned long long)tot.misses);
    CHECK(tot.wrong == 0 && tot.corrupt == 0, "%d processes: %llu wrong reads, %llu corrupt",
          n_proc, (unsigned long long)tot.wrong, (unsigned long long)tot.corrupt);
    CHECK(tot.hits > tot.misses, "%d processes shared entries: %llu hits, %llu misses", n_proc,
          (unsigned long long)tot.hits, (unsigned long long)tot.misses);

    /* Afterwards every entry left verifies and holds exactly the expected samples, and no
     * temp file is left behind. */
    lathe_cache *c;
    char err[512];
    long bad = 0, present = 0;
    lathe_cache_open(dir, 0, &c, err, sizeof err);
    for (int i = 0; i < SHARE_KEYS; i++) {
        lathe_cache_reader *r;
        if (lathe_cache_reader_open(c, key_of("shared", (uint64_t)i), &r) != LATHE_CACHE_OK)
            continue;
        present++;
        bad += check_audio(r, (uint64_t)i, 4096) != 0;
        lathe_cache_reader_free(r);
    }
    CHECK(present > 0 && bad == 0 && lathe_cache_get_stats(c).corrupt == 0,
          "%ld entries left, %ld differ", present, bad);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "test -z \"$(find '%s' -name '*.tmp.*')\"", dir);
    CHECK(tu_run("%s", cmd) == 0, "no temp files left by %d processes", n_proc);
    lathe_cache_free(c);
}

/* Processes that open one new folder at the same moment all take it as a cache: the folder is
 * never seen half made (its v1 there, its tag not yet) as another tool's. */
static void test_open_race(const char *tmp)
{
    int refused = 0;
    for (int round = 0; round < 40; round++) {
        char dir[600];
        int status;
        snprintf(dir, sizeof dir, "%s/race%d", tmp, round);
        for (int p = 0; p < 6; p++)
            if (fork() == 0) {
                lathe_cache *c;
                char err[512];
                int rc = lathe_cache_open(dir, 0, &c, err, sizeof err);
                if (rc != LATHE_CACHE_OK)
                    fprintf(stderr, "round %d: %s\n", round, err);
                else
                    lathe_cache_free(c);
                _exit(rc == LATHE_CACHE_OK ? 0 : 1);
            }
        while (wait(&status) > 0)
            refused += !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    }
    CHECK(refused == 0, "6 processes opening a new cache folder at once: %d refused", refused);
}

int main(void)
{
    char tmp[256], dir[600], err[512];
    lathe_cache *c;
    tu_tmpdir(tmp, sizeof tmp);
    snprintf(dir, sizeof dir, "%s/threads", tmp);
    if (lathe_cache_open(dir, 0, &c, err, sizeof err) != LATHE_CACHE_OK) {
        CHECK(0, "open: %s", err);
        return tu_done();
    }
    test_threads(c);
    lathe_cache_free(c);
    test_share(tmp, 2);
    test_share(tmp, 4);
    test_open_race(tmp);
    tu_run("rm -rf '%s'", tmp);
    return tu_done();
}

/* Faults: kill -9 at 20 pseudo-random moments of a cached render (20 s of audio through a branch
 * point and a loudness barrier), and four processes rendering into one cache at once. After
 * each kill: whatever sits at a final output path is complete (equal to a clean render), every
 * cache entry verifies, and a second render succeeds with byte-identical outputs.
 *
 * The kill moments are measured in the render's own CPU time (from /proc), not in wall-clock
 * time: a loaded machine stretches the wall clock, not the work done, so a kill drawn at 40% of
 * the cold render's CPU time lands 40% of the way through it however busy the machine is. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "cachecheck.h"

#include <sndfile.h>

#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *dir, *bin; /* the scratch folder and binary of clitest.h */
static const char *const outputs[] = {"stream.wav", "cd.flac"};

static const char chain[] =
    "local m = source('in.wav'):eq{{type = 'highpass', freq_hz = 30, slope_db_oct = 12}}"
    ":gain{gain_db = -1}\n"
    "output(m:normalize{target_lufs = -20, check_peak = false}, 'stream.wav', {bits = 24})\n"
    "output(m:gain{gain_db = -3}:dither{bits = 16}, 'cd.flac', {bits = 16})\n";

/* CPU seconds (user + system, all threads) a running child has used so far; -1 once it is gone. */
static double cpu_used_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f)
        fclose(f);
    buf[n] = 0;
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long utime, stime;
    if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2)
        return -1.0;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

static void make_inputs(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/in.wav", dir);
    SF_INFO info = {.samplerate = 48000, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_PCM_24};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    enum { N = 20 * 48000 };
    float *x = malloc(sizeof(float) * 2 * N);
    uint64_t seed = 11;
    for (long i = 0; i < N; i++) {
        double t = (double)i / 48000.0;
        double env = 0.5 + 0.5 * sin(2.0 * M_PI * 0.5 * t);
        x[2 * i] = (float)(0.3 * env * sin(2.0 * M_PI * 110.0 * t) + 0.02 * tu_rand(&seed));
        x[2 * i + 1] = (float)(0.3 * env * sin(2.0 * M_PI * 165.0 * t) + 0.02 * tu_rand(&seed));
    }
    sf_writef_float(sf, x, N);
    sf_close(sf);
    free(x);
    snprintf(path, sizeof path, "%s/chain.lua", dir);
    FILE *f = fopen(path, "w");
    fputs(chain, f);
    fclose(f);
}

static pid_t spawn_render(const char *out, const char *cache)
{
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        if (chdir(dir) != 0)
            _exit(126);
        execl(bin, "lathe", "render", "chain.lua", "-o", out, "--cache", cache, "--quiet",
              (char *)NULL);
        _exit(127);
    }
    return pid;
}

static int exit_code(int st)
{
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int wait_exit(pid_t pid)
{
    int st;
    return waitpid(pid, &st, 0) == pid ? exit_code(st) : -1;
}

/* CPU seconds used by the children waited for so far. */
static double children_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_CHILDREN, &ru);
    return (double)ru.ru_utime.tv_sec + 1e-6 * (double)ru.ru_utime.tv_usec
           + (double)ru.ru_stime.tv_sec + 1e-6 * (double)ru.ru_stime.tv_usec;
}

/* Kills pid once it has used `cpu_s` of CPU; returns its exit code (128 + SIGKILL when the kill
 * landed, the render's own code when it finished first). */
static int kill_at_cpu(pid_t pid, double cpu_s)
{
    int st;
    for (;;) {
        if (waitpid(pid, &st, WNOHANG) == pid)
            return exit_code(st);
        double used = cpu_used_s(pid);
        if (used >= cpu_s) {
            kill(pid, SIGKILL);
            return wait_exit(pid);
        }
        struct timespec ts = {0, 500000};
        nanosleep(&ts, NULL);
    }
}

/* 1: every output in folder equals the reference; with partial_ok, an absent one is fine. */
static int outputs_match(const char *folder, int partial_ok)
{
    for (int i = 0; i < 2; i++) {
        char path[1100];
        snprintf(path, sizeof path, "%s/%s/%s", dir, folder, outputs[i]);
        if (partial_ok && access(path, F_OK) != 0)
            continue;
        if (tu_run("cmp -s %s %s/ref/%s", path, dir, outputs[i]) != 0) {
            fprintf(stderr, "  %s differs from the clean render\n", path);
            return 0;
        }
    }
    return 1;
}

static int cache_ok(const char *name, int temps_ok, cc_result *cr)
{
    char cache[600];
    snprintf(cache, sizeof cache, "%s/%s", dir, name);
    return cc_verify(cache, cr) == 0 && cr->bad == 0 && cr->strays == 0 && (temps_ok || !cr->temps);
}

static void test_kills(void)
{
    double before = children_cpu_s();
    int rc = wait_exit(spawn_render("cold", "cache"));
    double cold = children_cpu_s() - before;
    CHECK(rc == 0 && outputs_match("cold", 0), "cold cached render equals the cache-less render");
    uint64_t seed = 20240601;
    int killed_mid = 0, all_complete = 1, all_valid = 1, all_rerender = 1, entries = 0, temps = 0;
    for (int k = 0; k < 20; k++) {
        tu_run("rm -rf %s/out", dir);
        if (k % 2 == 0)
            tu_run("rm -rf %s/cache", dir); /* cold: kill inside the barrier pass or main pass */
        double u = 0.5 * (tu_rand(&seed) + 1.0);
        double delay = cold * (0.02 + 0.9 * u); /* CPU seconds into the render */
        killed_mid += kill_at_cpu(spawn_render("out", "cache"), delay) == 128 + SIGKILL;
        if (!outputs_match("out", 1)) {
            all_complete = 0;
            fprintf(stderr, "  kill %d at %.3f CPU s: partial file at a final path\n", k, delay);
        }
        cc_result cr;
        if (!cache_ok("cache", 1, &cr)) {
            all_valid = 0;
            fprintf(stderr, "  kill %d at %.3f CPU s: %d bad cache entries\n", k, delay, cr.bad);
        }
        temps += cr.temps;
        if (wait_exit(spawn_render("out", "cache")) != 0 || !outputs_match("out", 0)
            || !cache_ok("cache", 1, &cr)) {
            all_rerender = 0;
            fprintf(stderr, "  kill %d at %.3f CPU s: the second render failed or differs\n", k, delay);
        }
        entries = cr.entries;
    }
    printf("cold render %.2f s of CPU; %d of 20 kills landed mid-render; %d temp files left by "
           "kills; %d entries\n", cold, killed_mid, temps, entries);
    /* Warm rounds (odd k) do less work than the cold render the moments are drawn from, so some
     * of their kills come after the end: at least a quarter must land mid-render to mean anything. */
    CHECK(killed_mid >= 5, "kills land during the render (%d of 20)", killed_mid);
    CHECK(all_complete, "after kill -9 no partial file at a final output path");
    CHECK(all_valid, "after kill -9 every cache entry verifies");
    CHECK(all_rerender, "after kill -9 a second render succeeds, byte-identical to a clean render");
}

static void test_concurrent(void)
{
    int ok_exit = 1, ok_out = 1, ok_cache = 1;
    for (int round = 0; round < 3; round++) {
        if (round != 1)
            tu_run("rm -rf %s/shared", dir); /* rounds 0 and 2 cold, round 1 warm */
        pid_t pids[4];
        for (int p = 0; p < 4; p++) {
            char out[32];
            snprintf(out, sizeof out, "par%d", p);
            tu_run("rm -rf %s/%s", dir, out);
            pids[p] = spawn_render(out, "shared");
        }
        for (int p = 0; p < 4; p++) {
            char out[32];
            snprintf(out, sizeof out, "par%d", p);
            int rc = wait_exit(pids[p]);
            ok_exit &= rc == 0;
            ok_out &= rc == 0 && outputs_match(out, 0);
        }
        cc_result cr;
        ok_cache &= cache_ok("shared", 0, &cr);
    }
    CHECK(ok_exit, "4 concurrent renders into one cache, 3 rounds: all exit 0");
    CHECK(ok_out, "4 concurrent renders: every output byte-identical to the clean render");
    CHECK(ok_cache, "4 concurrent renders: every cache entry verifies, no temp file left");
}

int main(void)
{
    ct_setup();
    dir = ct_dir;
    bin = ct_bin;
    make_inputs();
    CHECK(tu_run("cd %s && %s render chain.lua -o ref --no-cache --quiet", dir, bin) == 0,
          "reference render (no cache)");
    test_kills();
    test_concurrent();
    ct_cleanup();
    return tu_done();
}

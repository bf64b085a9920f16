/* Keyed cache entries (#22) as a user meets them: anyone who can write the cache folder can
 * forge an entry whose checksum is valid (here: a stored branch rewritten polarity-flipped and
 * 6 dB down, its XXH3 trailer recomputed, as an attacker without the key would). Without a key
 * the forgery is served, which is why LATHE_CACHE_KEY exists; with the key it is refused and
 * recomputed, and the outputs are byte-identical to a render without a cache; a wrong key
 * refuses every entry the same way; LATHE_CACHE_KEY_FILE reads the key from a file; a key too
 * short or a file that cannot be read stops the run before anything renders. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "cache/cache_int.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *script =
    "local m = source('in.wav'):eq{ {type = 'bell', freq_hz = 300, gain_db = -2, q = 1} }\n"
    "                          :compress{threshold_db = -24, ratio = 2}\n"
    "output(m:gain{gain_db = 0}, 'a.wav', {bits = 24})\n"
    "output(m:gain{gain_db = tonumber(param('gb', -1))}, 'b.wav', {bits = 24})\n";

/* Rewrites every audio entry of the cache: payload negated and halved, trailer recomputed as
 * the checksum the format documents. Returns the number of entries forged. */
static int forge(void)
{
    char cmd[700], path[1300];
    snprintf(cmd, sizeof cmd, "find %s/cache/" LATHE_CACHE_VDIR " -name '*.a'", ct_dir);
    FILE *list = popen(cmd, "r");
    int forged = 0;
    while (list && fgets(path, sizeof path, list)) {
        path[strcspn(path, "\n")] = 0;
        long len;
        char *buf = ct_slurp(path, &len);
        lathe_cache_header h;
        if (buf && len > LATHE_CACHE_HEADER_SIZE + LATHE_CACHE_TRAILER_SIZE &&
            !lathe_cache_header_decode((unsigned char *)buf, &h)) {
            float *x = (float *)(buf + LATHE_CACHE_HEADER_SIZE);
            for (uint64_t i = 0; i < h.payload_bytes / 4; i++)
                x[i] *= -0.5f;
            lathe_cache_put_le64((unsigned char *)x + h.payload_bytes,
                                 lathe_cache_checksum(x, h.payload_bytes));
            ct_write_n(path, buf, (unsigned long)len);
            forged++;
        }
        free(buf);
    }
    if (list)
        pclose(list);
    return forged;
}

static int same(const char *a, const char *b)
{
    return tu_run("cmp -s %s/%s %s/%s", ct_dir, a, ct_dir, b) == 0;
}

/* cache.hits of the last run's --json (run.json), -1 when unreadable. */
static long hits(void)
{
    char path[700];
    snprintf(path, sizeof path, "%s/run.json", ct_dir);
    json_t *j = json_load_file(path, 0, NULL);
    long n = j ? (long)json_integer_value(json_object_get(json_object_get(j, "cache"), "hits")) : -1;
    json_decref(j);
    return n;
}

int main(void)
{
    ct_setup();
    ct_write("gen.lua", "output(noise{duration_s = 4, color = 'pink', amplitude_db = -14, seed = 5},"
                        " 'in.wav', {bits = 24})\n");
    ct_write("s.lua", script);
    CHECK(ct_lathe("render gen.lua -o . --no-cache -q") == 0, "make the input");
    for (int gb = 2; gb <= 4; gb++) {
        char cmd[200];
        snprintf(cmd, sizeof cmd, "render s.lua -o ref%d --no-cache -q -D gb=-%d", gb, gb);
        CHECK(ct_lathe(cmd) == 0, "reference render without a cache (gb -%d)", gb);
    }

    /* sealed with K1; then forged */
    setenv("LATHE_CACHE_KEY", "k1-0123456789abcdef", 1);
    CHECK(ct_lathe("render s.lua -o o1 --cache cache -q") == 0, "keyed render fills the cache");
    int n = forge();
    CHECK(n >= 1, "forged %d stored branch(es)", n);
    CHECK(ct_lathe_to("render s.lua -o o2 --cache cache -q --json -D gb=-2", "run.json") == 0,
          "keyed render over the forged cache");
    CHECK(same("o2/b.wav", "ref2/b.wav") && same("o2/a.wav", "ref2/a.wav"),
          "with the key the forged entry is refused: outputs identical to no cache");
    CHECK(ct_stderr_has("not sealed with this cache's key"), "the refusal is reported");

    /* without a key the same forgery is served: the reason keys exist */
    n = forge();
    unsetenv("LATHE_CACHE_KEY");
    CHECK(ct_lathe("render s.lua -o o3 --cache cache -q -D gb=-3") == 0, "unkeyed render");
    CHECK(n >= 1 && !same("o3/b.wav", "ref3/b.wav"),
          "without a key a forged entry with a valid checksum is served (the trust model)");

    /* a wrong key refuses entries sealed with another (and the unkeyed forgery) */
    setenv("LATHE_CACHE_KEY", "k2-fedcba9876543210", 1);
    CHECK(ct_lathe_to("render s.lua -o o4 --cache cache -q --json -D gb=-4", "run.json") == 0,
          "render with another key");
    CHECK(same("o4/b.wav", "ref4/b.wav"), "another key: recomputed, identical to no cache");
    unsetenv("LATHE_CACHE_KEY");

    /* the key from a file (its first line): the entries K2 just sealed are hits */
    ct_write("key.txt", "k2-fedcba9876543210\n");
    char env[700];
    snprintf(env, sizeof env, "%s/key.txt", ct_dir);
    setenv("LATHE_CACHE_KEY_FILE", env, 1);
    CHECK(ct_lathe_to("render s.lua -o o5 --cache cache -q --json -D gb=-3", "run.json") == 0,
          "render with LATHE_CACHE_KEY_FILE");
    CHECK(hits() >= 1 && same("o5/b.wav", "ref3/b.wav"),
          "the file's key reads the entries sealed with it (%ld hits)", hits());

    /* refusals before anything renders */
    setenv("LATHE_CACHE_KEY_FILE", "/nonexistent/lathe-key", 1);
    CHECK(ct_lathe("render s.lua -o o6 --cache cache -q") == 2 && ct_stderr_has("LATHE_CACHE_KEY_FILE") &&
              !ct_exists("o6/a.wav"),
          "an unreadable key file: exit 2, nothing written");
    unsetenv("LATHE_CACHE_KEY_FILE");
    setenv("LATHE_CACHE_KEY", "short", 1);
    CHECK(ct_lathe("render s.lua -o o7 --cache cache -q") == 2 && ct_stderr_has("16") &&
              !ct_exists("o7/a.wav"),
          "a key under 16 bytes: exit 2, nothing written");
    unsetenv("LATHE_CACHE_KEY");
    ct_cleanup();
    return tu_done();
}

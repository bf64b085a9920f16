/* test_cache.c - the render cache store: canonical keys, bit-exact round trips, corruption
 * detected and removed, LRU eviction and stale temp cleanup. Sharing between threads and
 * processes is in test_cache_share.c. */
#define _POSIX_C_SOURCE 200809L
#include "cache/cache.h"
#include "cachetest.h"
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

/* ---- keys -------------------------------------------------------------------------------- */

static lathe_key key_f64(double v)
{
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_f64(&b, v);
    return lathe_key_builder_finish(&b);
}

static lathe_key key_strs(const char *a, const char *b2)
{
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_str(&b, a);
    lathe_key_builder_add_str(&b, b2);
    return lathe_key_builder_finish(&b);
}

static lathe_key key_u32s(uint32_t x, uint32_t y)
{
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_u32(&b, x);
    lathe_key_builder_add_u32(&b, y);
    return lathe_key_builder_finish(&b);
}

/* Appends a tag byte and nbytes of v, little-endian: the canonical encoding, by hand. */
static size_t put_tagged(unsigned char *s, size_t n, int tag, uint64_t v, int nbytes)
{
    s[n++] = (unsigned char)tag;
    for (int i = 0; i < nbytes; i++)
        s[n++] = (unsigned char)(v >> (8 * i));
    return n;
}

static double f64_bits(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static void test_key_encoding(void)
{
    /* Oracle: the canonical byte string written out by hand, hashed with XXH3-128. */
    unsigned char s[64];
    size_t n = 0;
    double v = 1.5;
    uint64_t bits;
    memcpy(&bits, &v, 8);
    n = put_tagged(s, n, 'F', LATHE_CACHE_FORMAT, 4);
    n = put_tagged(s, n, 'u', 7, 4);
    n = put_tagged(s, n, 'd', bits, 8);
    n = put_tagged(s, n, 's', 3, 8);
    memcpy(s + n, "abc", 3);
    n += 3;
    XXH128_hash_t want = XXH3_128bits(s, n);
    lathe_key_builder b;
    lathe_key_builder_init(&b);
    lathe_key_builder_add_u32(&b, 7);
    lathe_key_builder_add_f64(&b, 1.5);
    lathe_key_builder_add_str(&b, "abc");
    lathe_key k = lathe_key_builder_finish(&b);
    CHECK(k.lo == want.low64 && k.hi == want.high64, "key = XXH3-128 of the canonical string");
    CHECK(lathe_key_equal(k, lathe_key_builder_finish(&b)), "finish is repeatable");

    /* Order, types, signed zero, NaN, string boundaries. */
    lathe_key_builder b1, b2;
    CHECK(!lathe_key_equal(key_u32s(1, 2), key_u32s(2, 1)), "parameter order changes the key");
    lathe_key_builder_init(&b1); lathe_key_builder_add_u32(&b1, 5);
    lathe_key_builder_init(&b2); lathe_key_builder_add_u64(&b2, 5);
    CHECK(!lathe_key_equal(lathe_key_builder_finish(&b1), lathe_key_builder_finish(&b2)),
          "u32 5 and u64 5 differ");
    CHECK(!lathe_key_equal(key_f64(0.0), key_f64(-0.0)), "-0.0 and 0.0 differ");
    CHECK(!lathe_key_equal(key_f64(1.0), key_f64(nextafter(1.0, 2.0))), "one ulp differs");
    lathe_key nan = key_f64(NAN);
    CHECK(lathe_key_equal(nan, key_f64(-NAN)) &&
          lathe_key_equal(nan, key_f64(f64_bits(UINT64_C(0x7ff0000000000001)))) &&
          lathe_key_equal(nan, key_f64(f64_bits(UINT64_C(0xfff8dead00000000)))),
          "all NaNs hash alike");
    CHECK(!lathe_key_equal(key_strs("ab", "c"), key_strs("a", "bc")), "string boundaries count");
    CHECK(!lathe_key_equal(key_strs("", "x"), key_strs(NULL, "x")), "empty string is not NULL");
    CHECK(!lathe_key_equal(key_strs("abc", ""), key_strs("abd", "")), "one letter differs");
    CHECK(!lathe_key_equal(key_of("gain", 1), key_of("gain", 2)), "versions differ");

    char hex[33];
    lathe_key back = { 0, 0 };
    lathe_key_to_hex(k, hex);
    CHECK(strlen(hex) == 32 && lathe_key_from_hex(hex, &back) == LATHE_CACHE_OK &&
          lathe_key_equal(back, k), "hex round trip (%s)", hex);
    lathe_key kk = { UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210) };
    lathe_key_to_hex(kk, hex);
    CHECK(strcmp(hex, "fedcba98765432100123456789abcdef") == 0, "hex is hi then lo: %s", hex);
    CHECK(lathe_key_from_hex("FEDCBA98765432100123456789ABCDEF", &back) == LATHE_CACHE_OK &&
          lathe_key_equal(back, kk), "upper-case hex accepted");
    CHECK(lathe_key_from_hex("fedcba98765432100123456789abcde", &back) == LATHE_CACHE_ERR_PARAM &&
          lathe_key_from_hex("fedcba98765432100123456789abcdef0", &back) == LATHE_CACHE_ERR_PARAM &&
          lathe_key_from_hex("fedcba98765432100123456789abcdeg", &back) == LATHE_CACHE_ERR_PARAM,
          "bad hex rejected");
}

/* Rewrites p with 4 bytes, its mtime put back as it was; returns the key
 * lathe_cache_file_key() then gives. */
static lathe_key rewrite_keeping_mtime(lathe_cache *c, const char *p, const char *bytes)
{
    struct stat sb;
    lathe_key k = {0, 0};
    stat(p, &sb);
    write_file(p, bytes, 4);
    struct timespec ts[2] = { sb.st_mtim, sb.st_mtim };
    utimensat(AT_FDCWD, p, ts, 0);
    lathe_cache_file_key(c, p, &k);
    return k;
}

static void test_file_keys(const char *tmp, lathe_cache *c)
{
    char p[600];
    size_t n = (5u << 20) / 2 + 123; /* 2.5 MiB: several 1 MiB chunks and a tail */
    unsigned char *data = malloc(n);
    uint64_t st = 42;
    for (size_t i = 0; i < n; i++)
        data[i] = (unsigned char)(tu_rand(&st) * 127.0 + 128.0);
    snprintf(p, sizeof p, "%s/source.bin", tmp);
    write_file(p, data, n);
    lathe_key k;
    lathe_file_id id;
    XXH128_hash_t want = XXH3_128bits(data, n);
    CHECK(lathe_key_file(p, &k, &id) == LATHE_CACHE_OK && k.lo == want.low64 && k.hi == want.high64,
          "file key = XXH3-128 of the bytes");
    CHECK(id.size == n, "file id size %llu", (unsigned long long)id.size);
    CHECK(lathe_key_file("/nonexistent/lathe", &k, NULL) == LATHE_CACHE_ERR_IO, "missing file: IO error");

    /* Memo: a file settled for 2 s is hashed once and its key kept under (path, dev, inode,
     * size, mtime, ctime); an edit whose size and mtime are put back moves the ctime, so it is
     * read again, not answered from the memo. */
    const char *dir = lathe_cache_dir(c);
    uint64_t before, after, bytes;
    struct timespec settle = { 2, 200000000 };
    nanosleep(&settle, NULL);
    lathe_key m1, m2, m3;
    lathe_cache_scan(dir, &before, &bytes);
    CHECK(lathe_cache_file_key(c, p, &m1) == LATHE_CACHE_OK && lathe_key_equal(m1, k), "memo cold");
    lathe_cache_scan(dir, &after, &bytes);
    CHECK(after == before + 1, "a settled file's key is kept (%llu -> %llu entries)",
          (unsigned long long)before, (unsigned long long)after);
    CHECK(lathe_cache_file_key(c, p, &m2) == LATHE_CACHE_OK && lathe_key_equal(m2, k), "memo hit");
    data[0] ^= 1; /* same size, mtime put back */
    struct stat sb;
    stat(p, &sb);
    write_file(p, data, n);
    struct timespec ts[2] = { sb.st_mtim, sb.st_mtim };
    utimensat(AT_FDCWD, p, ts, 0);
    XXH128_hash_t edited = XXH3_128bits(data, n);
    CHECK(lathe_cache_file_key(c, p, &m3) == LATHE_CACHE_OK && m3.lo == edited.low64 &&
              m3.hi == edited.high64, "edited, size and mtime put back: read again");
    /* A freshly written file is not memoised: a second same-size write in the same tick must
     * still be seen. */
    snprintf(p, sizeof p, "%s/fresh.bin", tmp);
    write_file(p, "aaaa", 4);
    lathe_cache_file_key(c, p, &m1);
    m2 = rewrite_keeping_mtime(c, p, "bbbb");
    CHECK(!lathe_key_equal(m1, m2), "fresh file not memoised");
    /* A file this process just wrote (an output) is stamped a nanosecond back and memoised at
     * once; a same-size rewrite right after moves the mtime past the stamp, and one whose mtime
     * is put back on the stamp moves the ctime: both are read again. */
    snprintf(p, sizeof p, "%s/written.bin", tmp);
    write_file(p, "aaaa", 4);
    stat(p, &sb);
    int64_t wrote = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
    lathe_cache_scan(dir, &before, &bytes);
    int rc = lathe_cache_file_key_written(c, p, &m1, &id);
    /* one nanosecond on this machine's filesystems; one tick where the filesystem truncates */
    CHECK(rc == LATHE_CACHE_OK && id.mtime_ns < wrote && id.mtime_ns >= wrote - 2000000000,
          "written file stamped back (%lld -> %lld)", (long long)wrote, (long long)id.mtime_ns);
    lathe_cache_scan(dir, &after, &bytes);
    CHECK(after == before + 1, "a written file's key is kept at once (%llu -> %llu entries)",
          (unsigned long long)before, (unsigned long long)after);
    CHECK(lathe_cache_file_key(c, p, &m2) == LATHE_CACHE_OK && lathe_key_equal(m1, m2),
          "and answered from the memo");
    lathe_cache_scan(dir, &before, &bytes);
    CHECK(before == after, "without a new entry");
    write_file(p, "bbbb", 4);
    lathe_cache_file_key(c, p, &m2);
    CHECK(!lathe_key_equal(m1, m2), "written file rewritten at once: read again");
    lathe_cache_file_key_written(c, p, &m1, &id);
    m2 = rewrite_keeping_mtime(c, p, "cccc");
    CHECK(!lathe_key_equal(m1, m2), "rewritten with the stamp put back: read again");
    free(data);
}

/* ---- round trips ------------------------------------------------------------------------- */

static void test_round_trip(const char *dir, lathe_cache *c)
{
    static const uint32_t chans[] = { 1, 2, 5 };
    static const uint64_t lens[] = { 100003, 70001, 0 };
    char p[4200];
    for (int t = 0; t < 3; t++) {
        lathe_key k = key_of("round trip", (uint64_t)t);
        lathe_cache_reader *r = NULL;
        CHECK(lathe_cache_reader_open(c, k, &r) == LATHE_CACHE_MISS, "absent entry is a miss");
        CHECK(write_audio(c, k, chans[t], lens[t], (uint64_t)t) == LATHE_CACHE_OK, "commit");
        entry_path(dir, k, 'a', p, sizeof p);
        CHECK(file_size(p) == (long)(72 + lens[t] * chans[t] * 4 + 8),
              "entry size %ld = header + payload + checksum", file_size(p));
        CHECK(lathe_cache_reader_open(c, k, &r) == LATHE_CACHE_OK, "hit after commit");
        if (!r)
            continue;
        const lathe_cache_format *f = lathe_cache_reader_format(r);
        CHECK(f->rate == 48000 && f->channels == chans[t] && f->frames == lens[t] &&
              lathe_cache_reader_node_version(r) == 3, "format and node version kept");
        CHECK(check_audio(r, (uint64_t)t, 777) == 0, "bit-exact read, %u ch", chans[t]);
        lathe_cache_reader_seek(r, 0);
        CHECK(check_audio(r, (uint64_t)t, 4096) == 0, "bit-exact after rewind, other block");
        lathe_cache_reader_free(r);
    }
    lathe_cache_stats s = lathe_cache_get_stats(c);
    CHECK(s.hits == 3 && s.misses == 3 && s.corrupt == 0, "stats %llu hits %llu misses",
          (unsigned long long)s.hits, (unsigned long long)s.misses);

    double blob[100], back[100];
    size_t len = 0;
    for (int i = 0; i < 100; i++)
        blob[i] = sin(i * 0.37) * 1e3;
    lathe_key k = key_of("round trip", 1); /* shares its key with an audio entry */
    CHECK(lathe_cache_get_blob(c, k, back, sizeof back, &len) == LATHE_CACHE_MISS, "blob miss");
    CHECK(lathe_cache_put_blob(c, k, blob, sizeof blob) == LATHE_CACHE_OK, "blob put");
    CHECK(lathe_cache_get_blob(c, k, back, sizeof back, &len) == LATHE_CACHE_OK && len == sizeof blob &&
          memcmp(back, blob, sizeof blob) == 0, "blob bit-exact");
    CHECK(lathe_cache_get_blob(c, k, back, 10, &len) == LATHE_CACHE_ERR_PARAM && len == sizeof blob,
          "small buffer reported with the needed size");
    lathe_cache_reader *r = NULL;
    CHECK(lathe_cache_reader_open(c, k, &r) == LATHE_CACHE_OK, "audio entry beside the blob intact");
    lathe_cache_reader_free(r);

    lathe_key ok = key_of("output", 9), got;
    uint64_t size;
    int64_t mt;
    CHECK(lathe_cache_put_output_record(c, "/masters/a.flac", ok, 1234, -5) == LATHE_CACHE_OK &&
          lathe_cache_get_output_record(c, "/masters/a.flac", &got, &size, &mt) == LATHE_CACHE_OK &&
          lathe_key_equal(got, ok) && size == 1234 && mt == -5, "output record round trip");
    CHECK(lathe_cache_get_output_record(c, "/masters/b.flac", &got, &size, &mt) ==
          LATHE_CACHE_MISS, "other path: no record");
}

/* Two writers of one key: the second rename replaces the first under an open reader. */
static void test_concurrent_commit(lathe_cache *c)
{
    lathe_key k = key_of("twice", 0);
    lathe_cache_writer *w1, *w2;
    lathe_cache_reader *r1 = NULL, *r2 = NULL;
    float x[64], *p[1] = { x };
    for (int i = 0; i < 64; i++)
        x[i] = sample_at(77, 0, (uint64_t)i);
    lathe_cache_writer_begin(c, k, 48000, 1, 1, &w1);
    lathe_cache_writer_begin(c, k, 48000, 1, 1, &w2);
    lathe_cache_writer_append(w1, (const float *const *)p, 64);
    lathe_cache_writer_append(w2, (const float *const *)p, 64);
    CHECK(lathe_cache_writer_commit(w1) == LATHE_CACHE_OK, "first commit");
    CHECK(lathe_cache_reader_open(c, k, &r1) == LATHE_CACHE_OK, "hit after first commit");
    uint64_t written = lathe_cache_get_stats(c).bytes_written;
    CHECK(lathe_cache_writer_commit(w2) == LATHE_CACHE_OK, "second commit of one key succeeds");
    CHECK(lathe_cache_get_stats(c).bytes_written == written, "the first copy is kept");
    CHECK(r1 && check_audio(r1, 77, 10) == 0, "open reader unaffected");
    CHECK(lathe_cache_reader_open(c, k, &r2) == LATHE_CACHE_OK && check_audio(r2, 77, 64) == 0,
          "entry reads the same");
    lathe_cache_reader_free(r1);
    lathe_cache_reader_free(r2);
    lathe_cache_writer_begin(c, key_of("aborted", 0), 48000, 1, 1, &w1);
    lathe_cache_writer_append(w1, (const float *const *)p, 64);
    lathe_cache_writer_abort(w1);
    CHECK(lathe_cache_reader_open(c, key_of("aborted", 0), &r1) == LATHE_CACHE_MISS,
          "aborted entry absent");
}

/* ---- corruption -------------------------------------------------------------------------- */

enum { BAD_PAYLOAD, BAD_HEADER, BAD_TRAILER, BAD_TRUNCATED, BAD_SHORT, BAD_VERSION, BAD_EMPTY,
       BAD_GARBAGE, BAD_LONGER, BAD_OTHER_KEY, N_BAD };
static const char *const bad_names[N_BAD] = { "flipped payload byte", "flipped header byte",
    "flipped checksum byte", "truncated payload", "half a header", "wrong format version",
    "zero-length file", "garbage file", "trailing byte", "entry of another key" };

static void damage(const char *dir, const char *p, int how)
{
    long size = file_size(p);
    unsigned char buf[5000];
    uint64_t st = 99;
    switch (how) {
    case BAD_PAYLOAD: flip_byte(p, 72 + (size - 80) / 2); break;
    case BAD_HEADER: flip_byte(p, 24); break; /* the rate */
    case BAD_TRAILER: flip_byte(p, size - 3); break;
    case BAD_TRUNCATED: if (truncate(p, size - 100) != 0) perror("truncate"); break;
    case BAD_SHORT: if (truncate(p, 30) != 0) perror("truncate"); break;
    case BAD_VERSION: {
        /* A well-formed header of another format (valid header checksum). */
        int fd = open(p, O_RDWR);
        if (pread(fd, buf, 72, 0) == 72) {
            buf[8] = LATHE_CACHE_FORMAT + 1;
            uint64_t h = XXH3_64bits(buf, 64);
            for (int i = 0; i < 8; i++)
                buf[64 + i] = (unsigned char)(h >> (8 * i));
            if (pwrite(fd, buf, 72, 0) != 72)
                perror("pwrite");
        }
        close(fd);
        break;
    }
    case BAD_EMPTY: write_file(p, "", 0); break;
    case BAD_GARBAGE:
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (unsigned char)(tu_rand(&st) * 127.0 + 128.0);
        write_file(p, buf, sizeof buf);
        break;
    case BAD_LONGER: {
        FILE *f = fopen(p, "ab");
        fputc(0, f);
        fclose(f);
        break;
    }
    case BAD_OTHER_KEY: {
        char q[4200];
        entry_path(dir, key_of("someone else", 0), 'a', q, sizeof q);
        if (rename(q, p) != 0)
            perror("rename");
        break;
    }
    }
}

/* Entries are damaged between runs: `w` writes them, a fresh handle `c` (the next run, or
 * another process) must find the damage. Within one run the writer trusts what it wrote. */
static void test_corruption(const char *dir, lathe_cache *w)
{
    char p[4200], err[256];
    lathe_cache_reader *r = NULL;
    for (int how = 0; how < N_BAD; how++) {
        lathe_key k = key_of("corrupt", (uint64_t)how);
        lathe_cache *c = NULL;
        write_audio(w, k, 2, 20000, 5);
        if (how == BAD_OTHER_KEY)
            write_audio(w, key_of("someone else", 0), 2, 20000, 5);
        entry_path(dir, k, 'a', p, sizeof p);
        damage(dir, p, how);
        if (how == BAD_PAYLOAD) {
            CHECK(lathe_cache_reader_open(w, k, &r) == LATHE_CACHE_OK,
                  "the run that wrote an entry trusts it (no second checksum pass)");
            lathe_cache_reader_free(r);
        }
        CHECK(lathe_cache_open(dir, UINT64_MAX, &c, err, sizeof err) == LATHE_CACHE_OK, "reopen");
        uint64_t before = lathe_cache_get_stats(c).corrupt;
        CHECK(lathe_cache_reader_open(c, k, &r) == LATHE_CACHE_MISS, "%s: miss", bad_names[how]);
        CHECK(!exists(p), "%s: entry removed", bad_names[how]);
        CHECK(lathe_cache_get_stats(c).corrupt == before + 1, "%s: counted", bad_names[how]);
        char msg[4500];
        lathe_cache_last_message(c, msg, sizeof msg);
        CHECK(strstr(msg, "removed") != NULL, "%s: reported: %s", bad_names[how], msg);
        /* Recomputed by the caller: the new entry serves the right samples. */
        write_audio(c, k, 2, 20000, 5);
        r = NULL;
        CHECK(lathe_cache_reader_open(c, k, &r) == LATHE_CACHE_OK && check_audio(r, 5, 4096) == 0,
              "%s: recomputed entry is right", bad_names[how]);
        lathe_cache_reader_free(r);
        lathe_cache_free(c);
    }
    double v[4] = { 1, 2, 3, 4 }, back[4];
    size_t len;
    lathe_key k = key_of("corrupt blob", 0);
    lathe_cache_put_blob(w, k, v, sizeof v);
    entry_path(dir, k, 'b', p, sizeof p);
    uint64_t before = lathe_cache_get_stats(w).corrupt;
    flip_byte(p, 72 + 9); /* small entries are checked on every read, also by their writer */
    CHECK(lathe_cache_get_blob(w, k, back, sizeof back, &len) == LATHE_CACHE_MISS && !exists(p) &&
          lathe_cache_get_stats(w).corrupt == before + 1, "blob with a flipped byte removed");
}

/* ---- eviction ---------------------------------------------------------------------------- */

static void test_stats_clear(const char *dir, lathe_cache *c, uint64_t s, time_t now,
                             const char *t2, const char *foreign);

static void test_gc(const char *dir)
{
    lathe_cache *c;
    char err[512], p[4200], t1[4300], t2[4300], foreign[4300];
    CHECK(lathe_cache_open(dir, 0, &c, err, sizeof err) == LATHE_CACHE_OK, "open %s", err);
    CHECK(lathe_cache_size_cap(c) == LATHE_CACHE_CAP_DEFAULT, "default cap 4 GiB");
    time_t now = time(NULL);
    long s = 72 + 1000 * 4 + 8;
    for (int i = 0; i < 5; i++) {
        write_audio(c, key_of("lru", (uint64_t)i), 1, 1000, (uint64_t)i);
        entry_path(dir, key_of("lru", (uint64_t)i), 'a', p, sizeof p);
        set_mtime(p, now - 1000 + i * 100); /* entry 0 oldest */
    }
    entry_path(dir, key_of("lru", 0), 'a', p, sizeof p);
    snprintf(t1, sizeof t1, "%s.tmp.1.0000000000000001", p);
    snprintf(t2, sizeof t2, "%s.tmp.2.0000000000000002", p);
    snprintf(foreign, sizeof foreign, "%s/v1/notes.txt", dir);
    write_file(t1, "x", 1);
    write_file(t2, "y", 1);
    write_file(foreign, "mine", 4);
    set_mtime(t1, now - 2 * 3600);
    lathe_cache_reader *r = NULL;
    CHECK(lathe_cache_reader_open(c, key_of("lru", 0), &r) == LATHE_CACHE_OK, "hit touches entry 0");
    lathe_cache_reader_free(r);
    lathe_cache_gc_result res;
    CHECK(lathe_cache_gc(c, 100 * (uint64_t)s, &res) == LATHE_CACHE_OK && res.removed_entries == 0 &&
          res.entries == 5 && res.bytes == 5 * (uint64_t)s, "under the cap: nothing evicted");
    CHECK(res.removed_temps == 1 && !exists(t1) && exists(t2), "stale temp removed, fresh kept");
    CHECK(lathe_cache_gc(c, 3 * (uint64_t)s + (uint64_t)s / 2, &res) == LATHE_CACHE_OK &&
          res.removed_entries == 2 && res.entries == 3 && res.bytes == 3 * (uint64_t)s,
          "evicted %llu entries", (unsigned long long)res.removed_entries);
    int alive[5];
    for (int i = 0; i < 5; i++) {
        entry_path(dir, key_of("lru", (uint64_t)i), 'a', p, sizeof p);
        alive[i] = exists(p);
    }
    CHECK(alive[0] && !alive[1] && !alive[2] && alive[3] && alive[4],
          "least recently used out first: alive %d%d%d%d%d", alive[0], alive[1], alive[2],
          alive[3], alive[4]);
    uint64_t ne, nb;
    CHECK(lathe_cache_scan(dir, &ne, &nb) == LATHE_CACHE_OK && ne == 3 && nb == 3 * (uint64_t)s,
          "scan %llu entries %llu bytes", (unsigned long long)ne, (unsigned long long)nb);
    test_stats_clear(dir, c, (uint64_t)s, now, t2, foreign);
    lathe_cache_free(c);
}

/* Called by test_gc with its cache: 1 hit, 5 entries of s bytes written; the fresh temp t2 and
 * a foreign file are still there. */
static void test_stats_clear(const char *dir, lathe_cache *c, uint64_t s, time_t now,
                             const char *t2, const char *foreign)
{
    lathe_cache_run runs[40];
    lathe_cache_reader *r = NULL;
    uint64_t ne, nb;
    int n = 0;
    for (int i = 0; i < 35; i++)
        lathe_cache_stats_save(c);
    CHECK(lathe_cache_stats_load(dir, runs, 40, &n) == LATHE_CACHE_OK && n == 32 &&
          runs[31].stats.hits == 1 && runs[31].stats.bytes_written == 5 * s &&
          runs[31].time_s >= now, "stats kept %d runs", n);

    CHECK(lathe_cache_clear(dir) == LATHE_CACHE_OK && lathe_cache_scan(dir, &ne, &nb) == LATHE_CACHE_OK &&
          ne == 0 && nb == 0 && !exists(t2), "clear empties the cache");
    CHECK(exists(foreign), "clear leaves foreign files alone");
    lathe_cache_stats_load(dir, runs, 40, &n);
    CHECK(n == 0, "clear removes the stats");
    unlink(foreign);
    write_audio(c, key_of("lru", 0), 1, 1000, 0);
    CHECK(lathe_cache_reader_open(c, key_of("lru", 0), &r) == LATHE_CACHE_OK,
          "writing after a clear recreates the folders");
    lathe_cache_reader_free(r);
}

static void test_open_errors(const char *tmp)
{
    char p[600], err[512] = "", buf[700];
    lathe_cache *c = NULL;
    snprintf(p, sizeof p, "%s/plainfile", tmp);
    write_file(p, "x", 1);
    snprintf(buf, sizeof buf, "%s/cache", p);
    CHECK(lathe_cache_open(buf, 0, &c, err, sizeof err) == LATHE_CACHE_ERR_IO && !c &&
          strstr(err, buf) && strstr(err, "not writable"), "unusable folder: %s", err);
    if (geteuid() != 0) { /* root ignores permissions */
        snprintf(p, sizeof p, "%s/readonly", tmp);
        mkdir(p, 0555);
        CHECK(lathe_cache_open(p, 0, &c, err, sizeof err) == LATHE_CACHE_ERR_IO && !c,
              "read-only folder: %s", err);
    }
    setenv("LATHE_CACHE", "/x/lc", 1);
    setenv("XDG_CACHE_HOME", "/x/xdg", 1);
    setenv("HOME", "/x/home", 1);
    CHECK(lathe_cache_default_dir(buf, sizeof buf) == LATHE_CACHE_OK && !strcmp(buf, "/x/lc"),
          "LATHE_CACHE first: %s", buf);
    unsetenv("LATHE_CACHE");
    CHECK(lathe_cache_default_dir(buf, sizeof buf) == LATHE_CACHE_OK && !strcmp(buf, "/x/xdg/lathe"),
          "then XDG_CACHE_HOME: %s", buf);
    setenv("XDG_CACHE_HOME", "relative", 1);
    CHECK(lathe_cache_default_dir(buf, sizeof buf) == LATHE_CACHE_OK &&
          !strcmp(buf, "/x/home/.cache/lathe"), "then HOME: %s", buf);
    CHECK(lathe_cache_default_dir(buf, 5) == LATHE_CACHE_ERR_PARAM, "small buffer refused");
}

/* Processes finishing side by side on one cache (a catalogue's workers) each keep their line of
 * statistics: 12 at once, twice, no line lost. The first round also opens the new folder from
 * all 12 at once (a child refused there was the race lathe_cache_is_ours had). */
static void test_stats_concurrent(const char *tmp)
{
    enum { PROCS = 12, ROUNDS = 2 };
    char dir[600];
    snprintf(dir, sizeof dir, "%s/c3", tmp);
    int saved = 0, lines = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pid_t pid[PROCS];
        for (int i = 0; i < PROCS; i++) {
            if ((pid[i] = fork()) == 0) {
                lathe_cache *c;
                char err[256] = "";
                int ok = lathe_cache_open(dir, 1 << 20, &c, err, sizeof err) == LATHE_CACHE_OK &&
                         lathe_cache_stats_save(c) == LATHE_CACHE_OK;
                if (!ok)
                    printf("a child could not open the cache or save its statistics: %s\n", err);
                _exit(ok ? 0 : 1);
            }
        }
        for (int i = 0; i < PROCS; i++) {
            int st = 1;
            saved += pid[i] > 0 && waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) &&
                     WEXITSTATUS(st) == 0;
        }
        lathe_cache_run runs[40];
        CHECK(lathe_cache_stats_load(dir, runs, 40, &lines) == LATHE_CACHE_OK &&
                  saved == PROCS * (round + 1),
              "processes saved their statistics (%d of %d)", saved, PROCS * (round + 1));
        CHECK(lines == saved, "every saved line kept: %d of %d", lines, saved);
    }
}

int main(void)
{
    char tmp[256], dir[600], err[512];
    lathe_cache *c;
    tu_tmpdir(tmp, sizeof tmp);
    test_key_encoding();

    snprintf(dir, sizeof dir, "%s/c1", tmp);
    if (lathe_cache_open(dir, 1 << 30, &c, err, sizeof err) != LATHE_CACHE_OK) {
        CHECK(0, "open: %s", err);
        return tu_done();
    }
    test_round_trip(dir, c);
    test_concurrent_commit(c);
    test_corruption(dir, c);
    test_file_keys(tmp, c);
    lathe_cache_free(c);

    snprintf(dir, sizeof dir, "%s/c2", tmp);
    test_gc(dir);
    test_open_errors(tmp);
    test_stats_concurrent(tmp);
    tu_run("rm -rf '%s'", tmp);
    return tu_done();
}

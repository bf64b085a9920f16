/* MD5: the RFC 1321 test suite (appendix A.5), the same digest whatever the update split (block
 * and padding boundaries at 55/56/64 bytes), a file of several MiB against coreutils' md5sum when
 * it is installed, and the md5sum-format checksum file. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "engine/md5.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void digest_of(const void *p, size_t n, char hex[33])
{
    lathe_md5 m;
    unsigned char d[16];
    lathe_md5_init(&m);
    lathe_md5_update(&m, p, n);
    lathe_md5_final(&m, d);
    lathe_md5_hex(d, hex);
}

static void test_rfc1321(void)
{
    static const char *const suite[][2] = {
        {"", "d41d8cd98f00b204e9800998ecf8427e"},
        {"a", "0cc175b9c0f1b6a831c399e269772661"},
        {"abc", "900150983cd24fb0d6963f7d28e17f72"},
        {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
        {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
         "d174ab98d277d9f5a5611c2c9f419d9f"},
        {"1234567890123456789012345678901234567890123456789012345678901234567890123456789"
         "0", "57edf4a22be3c955ac49da2e2107b67a"},
    };
    for (size_t i = 0; i < sizeof suite / sizeof suite[0]; i++) {
        char hex[33];
        digest_of(suite[i][0], strlen(suite[i][0]), hex);
        CHECK(strcmp(hex, suite[i][1]) == 0, "MD5(\"%s\") = %s, want %s", suite[i][0], hex,
              suite[i][1]);
    }
}

/* Every split of every length around the padding boundaries gives the one-shot digest. */
static void test_splits(void)
{
    unsigned char data[200];
    for (int i = 0; i < 200; i++)
        data[i] = (unsigned char)(i * 37 + 11);
    int bad = 0;
    for (size_t n = 0; n <= 200; n++) {
        char want[33];
        digest_of(data, n, want);
        for (size_t cut = 0; cut <= n; cut += (n > 70 ? 7 : 1)) {
            lathe_md5 m;
            unsigned char d[16];
            char hex[33];
            lathe_md5_init(&m);
            lathe_md5_update(&m, data, cut);
            lathe_md5_update(&m, data + cut, n - cut);
            lathe_md5_final(&m, d);
            lathe_md5_hex(d, hex);
            bad += strcmp(hex, want) != 0;
        }
    }
    CHECK(bad == 0, "%d split updates differ from one-shot digests", bad);
}

static void test_file(void)
{
    char dir[512], path[1024], sums[1024], err[256], hex[33];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/IMAGE.DAT", dir);
    FILE *f = fopen(path, "wb");
    uint64_t st = 7;
    for (long i = 0; i < (5l << 20) + 12345; i++) /* 5 MiB and a bit: chunks and a remainder */
        fputc((int)((tu_rand(&st) + 1.0) * 127.9), f);
    fclose(f);
    CHECK(lathe_md5_file(path, hex, err, sizeof err) == 0, "md5 of a file: %s", err);
    snprintf(sums, sizeof sums, "%s/CHECKSUM.MD5", dir);
    const char *files[] = {path};
    CHECK(lathe_md5_write_sums(sums, files, 1, err, sizeof err) == 0, "sums: %s", err);
    f = fopen(sums, "rb");
    char line[256] = "", want[256];
    if (f) {
        CHECK(fgets(line, sizeof line, f) != NULL, "a line");
        CHECK(fgetc(f) == EOF, "one line only");
        fclose(f);
    }
    snprintf(want, sizeof want, "%s  IMAGE.DAT\n", hex);
    CHECK(strcmp(line, want) == 0, "checksum line '%s', want '%s'", line, want);
    if (tu_run("command -v md5sum >/dev/null 2>&1") == 0) {
        CHECK(tu_run("cd '%s' && md5sum -c --status CHECKSUM.MD5", dir) == 0,
              "md5sum -c accepts the checksum file");
    } else {
        printf("md5sum not installed: coreutils cross-check skipped\n");
    }
    CHECK(lathe_md5_file("/nonexistent/x", hex, err, sizeof err) != 0 && strstr(err, "x"),
          "a missing file is an error: %s", err);
    tu_run("rm -rf '%s'", dir);
}

int main(void)
{
    test_rfc1321();
    test_splits();
    test_file();
    return tu_done();
}

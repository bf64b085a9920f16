/* MD5 after RFC 1321: 64-byte blocks of little-endian words, four rounds of sixteen steps with
 * the constants floor(|sin(i + 1)| * 2^32), padding with 0x80, zeros and the bit length. */
#define _POSIX_C_SOURCE 200809L
#include "md5.h"
#include "safe_file.h"

#include "lathe/lathe_node.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CHUNK ((size_t)1 << 20)

static const uint32_t K[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};

/* Left-rotation amounts: four per round, repeated four times within the round. */
static const unsigned char R[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static uint32_t rotl(uint32_t x, unsigned s)
{
    return x << s | x >> (32 - s);
}

static void block(uint32_t h[4], const unsigned char *p)
{
    uint32_t w[16];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16
             | (uint32_t)p[4 * i + 3] << 24;
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int g, round = i >> 4;
        if (round == 0) {
            f = (b & c) | (~b & d);
            g = i;
        } else if (round == 1) {
            f = (b & d) | (c & ~d);
            g = (5 * i + 1) & 15;
        } else if (round == 2) {
            f = b ^ c ^ d;
            g = (3 * i + 5) & 15;
        } else {
            f = c ^ (b | ~d);
            g = (7 * i) & 15;
        }
        uint32_t t = d;
        d = c;
        c = b;
        b = b + rotl(a + f + K[i] + w[g], R[4 * round + (i & 3)]);
        a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
}

void lathe_md5_init(lathe_md5 *m)
{
    m->h[0] = 0x67452301;
    m->h[1] = 0xefcdab89;
    m->h[2] = 0x98badcfe;
    m->h[3] = 0x10325476;
    m->len = 0;
    m->n_buf = 0;
}

void lathe_md5_update(lathe_md5 *m, const void *data, size_t n)
{
    const unsigned char *p = data;
    m->len += n;
    if (m->n_buf) {
        size_t take = 64 - m->n_buf < n ? 64 - m->n_buf : n;
        memcpy(m->buf + m->n_buf, p, take);
        m->n_buf += take;
        p += take;
        n -= take;
        if (m->n_buf < 64)
            return;
        block(m->h, m->buf);
        m->n_buf = 0;
    }
    for (; n >= 64; p += 64, n -= 64)
        block(m->h, p);
    memcpy(m->buf, p, n);
    m->n_buf = n;
}

void lathe_md5_final(lathe_md5 *m, unsigned char digest[16])
{
    uint64_t bits = m->len * 8;
    unsigned char pad[72] = {0x80};
    size_t n = (m->n_buf < 56 ? 56 : 120) - m->n_buf;
    for (int i = 0; i < 8; i++)
        pad[n + (size_t)i] = (unsigned char)(bits >> (8 * i));
    lathe_md5_update(m, pad, n + 8);
    for (int i = 0; i < 16; i++)
        digest[i] = (unsigned char)(m->h[i / 4] >> (8 * (i % 4)));
}

void lathe_md5_hex(const unsigned char digest[16], char hex[33])
{
    static const char digits[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        hex[2 * i] = digits[digest[i] >> 4];
        hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[32] = 0;
}

int lathe_md5_file(const char *path, char hex[33], char *err, size_t err_size)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = lathe_alloc(CHUNK), digest[16];
    if (!f || !buf) {
        snprintf(err, err_size, "%s: cannot read back for its MD5: %s", path,
                 f ? "out of memory" : strerror(errno));
        if (f)
            fclose(f);
        lathe_dealloc(buf);
        return -1;
    }
    lathe_md5 m;
    lathe_md5_init(&m);
    size_t got;
    while ((got = fread(buf, 1, CHUNK, f)) > 0)
        lathe_md5_update(&m, buf, got);
    int bad = ferror(f);
    fclose(f);
    lathe_dealloc(buf);
    if (bad) {
        snprintf(err, err_size, "%s: read error while computing its MD5", path);
        return -1;
    }
    lathe_md5_final(&m, digest);
    lathe_md5_hex(digest, hex);
    return 0;
}

int lathe_md5_write_sums(const char *sum_path, const char *const *files, int n_files, char *err,
                         size_t err_size)
{
    lathe_safe_file sf;
    if (lathe_safe_open(&sf, NULL, sum_path, err, err_size) != 0)
        return -1;
    FILE *f = lathe_safe_stream(&sf);
    int ok = f != NULL;
    for (int i = 0; ok && i < n_files; i++) {
        char hex[33];
        const char *base = strrchr(files[i], '/');
        if (lathe_md5_file(files[i], hex, err, err_size) != 0) {
            fclose(f);
            lathe_safe_abandon(&sf);
            return -1;
        }
        ok = fprintf(f, "%s  %s\n", hex, base ? base + 1 : files[i]) > 0;
    }
    ok = f && fclose(f) == 0 && ok;
    if (!ok || lathe_safe_commit(&sf) != 0) {
        snprintf(err, err_size, "%s: cannot write", sum_path);
        lathe_safe_abandon(&sf);
        return -1;
    }
    return 0;
}

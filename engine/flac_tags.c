/* FLAC Vorbis comments, written by rewriting the metadata of a finished file.
 *
 * A FLAC file is "fLaC", metadata blocks (a 4-byte header: last-block flag, 7-bit type, 24-bit
 * big-endian length; STREAMINFO first), then the audio frames. Only the VORBIS_COMMENT body is
 * little-endian: vendor length + vendor, count, then length + "KEY=value" per comment. */
#define _POSIX_C_SOURCE 200809L
#include "flac_tags.h"

#include "lathe/lathe_node.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_BLOCKS 1024
#define MAX_VENDOR 1024
#define CHUNK ((size_t)1 << 20)
#define TYPE_STREAMINFO 0
#define TYPE_VORBIS_COMMENT 4

typedef struct block {
    int type;
    uint32_t len;
    off_t body; /* offset of the body in src */
} block;

typedef struct scan {
    block blocks[MAX_BLOCKS];
    int n;
    off_t audio; /* first byte after the metadata */
    char vendor[MAX_VENDOR];
} scan;

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

/* The vendor string of an existing VORBIS_COMMENT block, when it reads cleanly. */
static void read_vendor(FILE *f, const block *b, char *vendor)
{
    unsigned char n4[4];
    if (b->len < 8 || fread(n4, 1, 4, f) != 4)
        return;
    uint32_t n = get_le32(n4);
    if (n >= MAX_VENDOR || n > b->len - 8 || fread(vendor, 1, n, f) != n) {
        snprintf(vendor, MAX_VENDOR, "lathe");
        return;
    }
    vendor[n] = 0;
}

/* Walks the metadata block headers; the bodies are skipped (only positions are kept). */
static int scan_file(FILE *f, scan *s, const char *path, char *err, size_t err_size)
{
    unsigned char h[4];
    if (fread(h, 1, 4, f) != 4 || memcmp(h, "fLaC", 4) != 0) {
        snprintf(err, err_size, "%s: not a FLAC file", path);
        return -1;
    }
    snprintf(s->vendor, sizeof s->vendor, "lathe");
    for (int last = 0; !last;) {
        if (s->n == MAX_BLOCKS || fread(h, 1, 4, f) != 4) {
            snprintf(err, err_size, "%s: damaged FLAC metadata", path);
            return -1;
        }
        block *b = &s->blocks[s->n++];
        last = h[0] & 0x80;
        b->type = h[0] & 0x7f;
        b->len = (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        b->body = ftello(f);
        if (b->type == TYPE_VORBIS_COMMENT)
            read_vendor(f, b, s->vendor);
        if (b->type == 127 || fseeko(f, b->body + (off_t)b->len, SEEK_SET) != 0) {
            snprintf(err, err_size, "%s: damaged FLAC metadata", path);
            return -1;
        }
    }
    if (s->blocks[0].type != TYPE_STREAMINFO) {
        snprintf(err, err_size, "%s: FLAC file without STREAMINFO", path);
        return -1;
    }
    s->audio = ftello(f);
    return 0;
}

static int write_header(FILE *out, int last, int type, uint32_t len)
{
    unsigned char h[4] = {(unsigned char)((last ? 0x80 : 0) | type), (unsigned char)(len >> 16),
                          (unsigned char)(len >> 8), (unsigned char)len};
    return fwrite(h, 1, 4, out) == 4 ? 0 : -1;
}

/* The new VORBIS_COMMENT body in buf (NULL: only its size). Keys are upper-cased. */
static size_t comment_body(unsigned char *buf, const char *vendor, const char *const *tags,
                           int n_tags)
{
    size_t at = 0, vn = strlen(vendor);
    if (buf) {
        put_le32(buf, (uint32_t)vn);
        memcpy(buf + 4, vendor, vn);
        put_le32(buf + 4 + vn, (uint32_t)n_tags);
    }
    at = 8 + vn;
    for (int t = 0; t < n_tags; t++) {
        const char *k = tags[2 * t], *v = tags[2 * t + 1];
        size_t kn = strlen(k), n = kn + 1 + strlen(v);
        if (buf) {
            put_le32(buf + at, (uint32_t)n);
            for (size_t i = 0; i < kn; i++)
                buf[at + 4 + i] = (unsigned char)(k[i] >= 'a' && k[i] <= 'z' ? k[i] - 32 : k[i]);
            buf[at + 4 + kn] = '=';
            memcpy(buf + at + 5 + kn, v, n - kn - 1);
        }
        at += 4 + n;
    }
    return at;
}

static int valid_keys(const char *const *tags, int n_tags, char *err, size_t err_size)
{
    for (int t = 0; t < n_tags; t++) {
        const char *k = tags[2 * t];
        int ok = *k != 0;
        for (const char *c = k; *c; c++)
            ok &= *c >= 0x20 && *c <= 0x7d && *c != '=';
        if (!ok) {
            snprintf(err, err_size, "tag name '%s' is not a valid Vorbis comment field", k);
            return -1;
        }
    }
    return 0;
}

/* Copies len bytes from src at offset `from` to out, through buf (CHUNK bytes); len < 0: to the
 * end of src. */
static int copy_range(FILE *src, off_t from, off_t len, FILE *out, unsigned char *buf)
{
    if (fseeko(src, from, SEEK_SET) != 0)
        return -1;
    while (len != 0) {
        size_t want = len < 0 || (uint64_t)len > CHUNK ? CHUNK : (size_t)len;
        size_t got = fread(buf, 1, want, src);
        if (got == 0)
            return len < 0 && !ferror(src) ? 0 : -1;
        if (fwrite(buf, 1, got, out) != got)
            return -1;
        if (len > 0)
            len -= (off_t)got;
    }
    return 0;
}

/* STREAMINFO, the new comments, every other block but the old comments, then the audio. */
static int write_file(FILE *src, const scan *s, FILE *out, const unsigned char *vc, size_t vc_len,
                      unsigned char *buf)
{
    int n_other = 0;
    for (int i = 1; i < s->n; i++)
        n_other += s->blocks[i].type != TYPE_VORBIS_COMMENT;
    const block *si = &s->blocks[0];
    if (fwrite("fLaC", 1, 4, out) != 4 || write_header(out, 0, si->type, si->len) != 0
        || copy_range(src, si->body, (off_t)si->len, out, buf) != 0)
        return -1;
    if (write_header(out, n_other == 0, TYPE_VORBIS_COMMENT, (uint32_t)vc_len) != 0
        || fwrite(vc, 1, vc_len, out) != vc_len)
        return -1;
    for (int i = 1; i < s->n; i++) {
        const block *b = &s->blocks[i];
        if (b->type == TYPE_VORBIS_COMMENT)
            continue;
        if (write_header(out, --n_other == 0, b->type, b->len) != 0
            || copy_range(src, b->body, (off_t)b->len, out, buf) != 0)
            return -1;
    }
    return copy_range(src, s->audio, -1, out, buf);
}

int lathe_flac_tags_rewrite(const char *src, FILE *out, const char *const *tags, int n_tags,
                            char *err, size_t err_size)
{
    if (valid_keys(tags, n_tags, err, err_size) != 0)
        return -1;
    scan *s = lathe_calloc(1, sizeof *s);
    unsigned char *buf = lathe_alloc(CHUNK), *vc = NULL;
    FILE *in = fopen(src, "rb");
    size_t vc_len = 0;
    int rc = -1;
    snprintf(err, err_size, "%s: out of memory", src);
    if (!s || !buf)
        goto done;
    if (!in) {
        snprintf(err, err_size, "%s: cannot read back the FLAC file", src);
        goto done;
    }
    if (scan_file(in, s, src, err, err_size) != 0)
        goto done;
    vc_len = comment_body(NULL, s->vendor, tags, n_tags);
    if (vc_len >= (1u << 24)) {
        snprintf(err, err_size, "%s: tags longer than a FLAC metadata block (16 MiB)", src);
        goto done;
    }
    if (!(vc = lathe_alloc(vc_len)))
        goto done;
    comment_body(vc, s->vendor, tags, n_tags);
    rc = write_file(in, s, out, vc, vc_len, buf);
    if (fflush(out) != 0 || ferror(out))
        rc = -1;
    if (rc != 0)
        snprintf(err, err_size, "%s: write failed (disk full?)", src);
done:
    if (in)
        fclose(in);
    lathe_dealloc(s);
    lathe_dealloc(buf);
    lathe_dealloc(vc);
    return rc;
}

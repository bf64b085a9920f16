/* ID3v2.4 (id3.org, "ID3 tag version 2.4.0 - Main Structure" and "- Native Frames"): a 10-byte
 * header whose size is a 28-bit synchsafe integer, then frames of a 4-byte id, a synchsafe size,
 * two flag bytes and the body; text frames start with an encoding byte (3 = UTF-8). */
#define _POSIX_C_SOURCE 200809L
#include "id3_tags.h"


#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *key, *frame;
} frames[] = {
    {"title", "TIT2"},     {"artist", "TPE1"},    {"album", "TALB"},
    {"albumartist", "TPE2"}, {"date", "TDRC"},    {"genre", "TCON"},
    {"tracknumber", "TRCK"}, {"isrc", "TSRC"},    {"copyright", "TCOP"},
    {"composer", "TCOM"},  {"software", "TSSE"},  {"encoder", "TSSE"},
};

static void synchsafe(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)((v >> 21) & 0x7f);
    p[1] = (unsigned char)((v >> 14) & 0x7f);
    p[2] = (unsigned char)((v >> 7) & 0x7f);
    p[3] = (unsigned char)(v & 0x7f);
}

/* One frame: id, then the body parts (the encoding byte first). */
static int put_frame(FILE *f, const char *id, const char *desc, const char *lang,
                     const char *value)
{
    size_t len = 1 + strlen(value);
    if (lang)
        len += 3;
    if (desc)
        len += strlen(desc) + 1; /* a NUL ends the description */
    unsigned char head[10] = {0};
    memcpy(head, id, 4);
    if (len >= (1u << 28))
        return -1;
    synchsafe(head + 4, (uint32_t)len);
    if (fwrite(head, 1, 10, f) != 10 || fputc(3, f) == EOF)
        return -1;
    if (lang && fwrite(lang, 1, 3, f) != 3)
        return -1;
    if (desc && fwrite(desc, 1, strlen(desc) + 1, f) != strlen(desc) + 1)
        return -1;
    return fwrite(value, 1, strlen(value), f) == strlen(value) ? 0 : -1;
}

static int put_tag(FILE *f, const char *key, const char *value)
{
    if (strcasecmp(key, "comment") == 0)
        return put_frame(f, "COMM", "", "eng", value);
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++)
        if (strcasecmp(frames[i].key, key) == 0)
            return put_frame(f, frames[i].frame, NULL, NULL, value);
    return put_frame(f, "TXXX", key, NULL, value);
}

int lathe_id3_tags_rewrite(const char *src, FILE *out, const char *const *tags, int n_tags,
                           char *err, size_t err_size)
{
    FILE *in = fopen(src, "rb");
    if (!in) {
        snprintf(err, err_size, "%s: cannot read it back for its tags: %s", src, strerror(errno));
        return -1;
    }
    /* The header is written last, once the frames' total size is known. */
    unsigned char head[10] = {'I', 'D', '3', 4, 0, 0};
    int ok = fwrite(head, 1, 10, out) == 10;
    for (int t = 0; ok && t < n_tags; t++)
        ok = put_tag(out, tags[2 * t], tags[2 * t + 1]) == 0;
    long end = ok ? ftell(out) : -1;
    ok = ok && end > 10 && end - 10 < (1L << 28);
    if (ok) {
        synchsafe(head + 6, (uint32_t)(end - 10));
        ok = fseek(out, 0, SEEK_SET) == 0 && fwrite(head, 1, 10, out) == 10
             && fseek(out, end, SEEK_SET) == 0;
    }
    char buf[65536];
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    fclose(in);
    ok = fflush(out) == 0 && !ferror(out) && ok;
    if (!ok)
        snprintf(err, err_size, "%s: cannot write the tags (disk full?)", src);
    return ok ? 0 : -1;
}

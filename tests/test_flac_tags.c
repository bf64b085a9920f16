/* FLAC tags: the writer's Vorbis comments (ISRC included, which libsndfile cannot write) are
 * parsed here from the file's bytes: one VORBIS_COMMENT block, STREAMINFO first, the last-block
 * flag on the real last block, the comments sorted with upper-case names; the audio decodes to
 * the exact samples written and its frame bytes equal those of an untagged file; the same tags
 * set in another order give the same bytes. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include "engine/audio_io.h"
#include "engine/flac_tags.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RATE 48000
#define FRAMES (RATE * 6) /* 24-bit noise: several MiB of FLAC, more than one copy chunk */

static char dir[512];

typedef struct parsed {
    int n_blocks, n_comments, n_vc, last_ok, streaminfo_first;
    char vendor[256];
    char comments[16][128];
    long audio_at, size;
} parsed;

static unsigned char *slurp(const char *path, long *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc((size_t)*len + 1);
    if (fread(b, 1, (size_t)*len, f) != (size_t)*len)
        *len = 0;
    fclose(f);
    return b;
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void parse_comments(const unsigned char *b, uint32_t len, parsed *p)
{
    uint32_t vn = le32(b), at = 8 + vn;
    snprintf(p->vendor, sizeof p->vendor, "%.*s", (int)vn, (const char *)b + 4);
    uint32_t n = le32(b + 4 + vn);
    for (uint32_t i = 0; i < n && at + 4 <= len; i++) {
        uint32_t cl = le32(b + at);
        if (p->n_comments < 16)
            snprintf(p->comments[p->n_comments++], 128, "%.*s", (int)cl, (const char *)b + at + 4);
        at += 4 + cl;
    }
    CHECK(at == len, "comment block length %u, its comments end at %u", len, at);
}

/* Walks "fLaC" and the metadata blocks the way a decoder does. */
static int parse(const char *path, parsed *p, unsigned char **bytes)
{
    memset(p, 0, sizeof *p);
    unsigned char *b = slurp(path, &p->size);
    if (!b || p->size < 8 || memcmp(b, "fLaC", 4) != 0)
        return -1;
    long at = 4;
    int last = 0;
    p->last_ok = 1;
    while (!last && at + 4 <= p->size) {
        int type = b[at] & 0x7f;
        last = b[at] & 0x80;
        uint32_t len = (uint32_t)b[at + 1] << 16 | (uint32_t)b[at + 2] << 8 | b[at + 3];
        if (p->n_blocks == 0)
            p->streaminfo_first = type == 0 && len == 34;
        if (type == 4) {
            p->n_vc++;
            parse_comments(b + at + 4, len, p);
        }
        p->n_blocks++;
        at += 4 + (long)len;
    }
    p->audio_at = at;
    /* the first audio frame starts with the sync code 0xFFF8 (fixed blocksize) */
    p->last_ok = last && at + 2 <= p->size && b[at] == 0xff && (b[at + 1] & 0xfe) == 0xf8;
    *bytes = b;
    return 0;
}

static float *signal(void)
{
    float *x = malloc(sizeof(float) * 2 * FRAMES);
    uint64_t st = 12345;
    for (long i = 0; i < 2 * FRAMES; i++) {
        /* on the 24-bit grid, so a write and read back are exact */
        double v = floor(tu_rand(&st) * 0.5 * 8388608.0);
        x[i] = (float)(v / 8388608.0);
    }
    return x;
}

static int write_flac(const char *name, const float *x, const char *const *tags)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lathe_audio_writer_config cfg = {.container = LATHE_FMT_FLAC, .bits = 24, .rate = RATE, .channels = 2};
    lathe_audio_writer *w;
    if (lathe_audio_writer_open(path, &cfg, &w, err, sizeof err) != LATHE_OK)
        return -1;
    const float *ch[2] = {x, x + FRAMES};
    int rc = lathe_audio_writer_write(w, ch, FRAMES);
    for (int t = 0; tags && tags[t]; t += 2)
        rc |= lathe_audio_writer_set_tag(w, tags[t], tags[t + 1]);
    rc |= lathe_audio_writer_commit(w, err, sizeof err);
    CHECK(rc == LATHE_OK, "writing %s: %s", name, err);
    lathe_audio_writer_free(w);
    return rc;
}

static long decode_mismatches(const char *name, const float *x)
{
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    lathe_audio_reader *r;
    lathe_audio_info info;
    if (lathe_audio_reader_open(path, &r, &info, err, sizeof err) != LATHE_OK) {
        CHECK(0, "%s", err);
        return -1;
    }
    float *y = malloc(sizeof(float) * 2 * FRAMES);
    float *ch[2] = {y, y + FRAMES};
    long got = lathe_audio_reader_read(r, ch, FRAMES), bad = 0;
    CHECK(got == FRAMES && info.bits == 24 && info.format.rate == RATE, "%s: %ld frames, %d bits",
          name, got, info.bits);
    for (long i = 0; i < 2 * FRAMES; i++)
        bad += y[i] != x[i];
    lathe_audio_reader_free(r);
    free(y);
    return bad;
}

static void test_tagged(const float *x)
{
    const char *tags[] = {"title", "First", "artist", "Night Drive", "album", "Caf\xc3\xa9",
                          "tracknumber", "3", "date", "2024", "isrc", "USRC17607839",
                          "title", "Nightfall", NULL};
    CHECK(write_flac("tagged.flac", x, tags) == 0, "write");
    parsed p;
    unsigned char *b;
    char path[1024];
    snprintf(path, sizeof path, "%s/tagged.flac", dir);
    CHECK(parse(path, &p, &b) == 0, "tagged.flac is a FLAC file");
    CHECK(p.size > (1l << 20), "file of %ld bytes spans more than one 1 MiB copy chunk", p.size);
    CHECK(p.streaminfo_first && p.n_vc == 1, "STREAMINFO first (%d), %d comment blocks",
          p.streaminfo_first, p.n_vc);
    CHECK(p.last_ok, "last-block flag on the block before the first audio frame");
    CHECK(p.vendor[0] != 0, "vendor string kept: '%s'", p.vendor);
    const char *want[] = {"ALBUM=Caf\xc3\xa9", "ARTIST=Night Drive", "DATE=2024",
                          "ISRC=USRC17607839", "TITLE=Nightfall", "TRACKNUMBER=3"};
    CHECK(p.n_comments == 6, "%d comments, want 6", p.n_comments);
    for (int i = 0; i < 6 && i < p.n_comments; i++)
        CHECK(strcmp(p.comments[i], want[i]) == 0, "comment %d '%s', want '%s'", i,
              p.comments[i], want[i]);
    CHECK(decode_mismatches("tagged.flac", x) == 0, "tagged file decodes to the samples written");
    if (tu_run("command -v ffprobe >/dev/null 2>&1") == 0) /* an independent reader, if present */
        CHECK(tu_run("ffprobe -v error -show_entries format_tags=ISRC -of default=nw=1 '%s' "
                     "| grep -qx 'TAG:ISRC=USRC17607839'", path) == 0, "ffprobe reads the ISRC");

    /* Same tags in another order: the same bytes. Untagged: the same audio frame bytes. */
    const char *again[] = {"isrc", "USRC17607839", "date", "2024", "tracknumber", "3",
                           "album", "Caf\xc3\xa9", "artist", "Night Drive", "title", "Nightfall",
                           NULL};
    CHECK(write_flac("again.flac", x, again) == 0, "write again");
    CHECK(write_flac("plain.flac", x, NULL) == 0, "write plain");
    parsed q, r;
    unsigned char *bq, *br;
    snprintf(path, sizeof path, "%s/again.flac", dir);
    CHECK(parse(path, &q, &bq) == 0 && q.size == p.size && memcmp(b, bq, (size_t)p.size) == 0,
          "tag order does not change the bytes (%ld vs %ld)", q.size, p.size);
    snprintf(path, sizeof path, "%s/plain.flac", dir);
    CHECK(parse(path, &r, &br) == 0, "plain.flac parses");
    CHECK(p.size - p.audio_at == r.size - r.audio_at
              && memcmp(b + p.audio_at, br + r.audio_at, (size_t)(r.size - r.audio_at)) == 0,
          "audio frames copied byte for byte (%ld vs %ld bytes)", p.size - p.audio_at,
          r.size - r.audio_at);
    CHECK(decode_mismatches("plain.flac", x) == 0, "plain file decodes to the samples written");
    free(b);
    free(bq);
    free(br);
}

/* lathe_flac_tags_rewrite into a new file at dst. */
static int rewrite_to(const char *src, const char *dst, const char *const *tags, int n, char *err,
                      size_t size)
{
    FILE *out = fopen(dst, "wb");
    int rc = out ? lathe_flac_tags_rewrite(src, out, tags, n, err, size) : -1;
    if (out && fclose(out) != 0)
        rc = -1;
    return rc;
}

/* Rewriting a tagged file replaces its comments (never a second block). */
static void test_rewrite(const float *x)
{
    char src[1024], dst[1024], err[256];
    snprintf(src, sizeof src, "%s/tagged.flac", dir);
    snprintf(dst, sizeof dst, "%s/retagged.flac", dir);
    const char *tags[] = {"isrc", "GBAYE0000351"};
    CHECK(rewrite_to(src, dst, tags, 1, err, sizeof err) == 0, "rewrite: %s", err);
    parsed p;
    unsigned char *b;
    CHECK(parse(dst, &p, &b) == 0 && p.n_vc == 1 && p.n_comments == 1 && p.last_ok,
          "one comment block with one comment (%d, %d)", p.n_vc, p.n_comments);
    CHECK(strcmp(p.comments[0], "ISRC=GBAYE0000351") == 0, "comment '%s'", p.comments[0]);
    CHECK(decode_mismatches("retagged.flac", x) == 0, "retagged file decodes unchanged");
    free(b);
    const char *bad[] = {"a=b", "c"};
    char spoilt[1024];
    snprintf(spoilt, sizeof spoilt, "%s/refused.flac", dir);
    CHECK(rewrite_to(src, spoilt, bad, 1, err, sizeof err) != 0 && strstr(err, "a=b"),
          "a field name with '=' is refused: %s", err);
    CHECK(rewrite_to(dst, src, NULL, 0, err, sizeof err) == 0, "no tags: %s", err);
    CHECK(parse(src, &p, &b) == 0 && p.n_vc == 1 && p.n_comments == 0 && p.last_ok,
          "no tags: an empty comment block (%d, %d)", p.n_vc, p.n_comments);
    free(b);
    snprintf(src, sizeof src, "%s/not.flac", dir);
    FILE *f = fopen(src, "wb");
    fputs("RIFF....WAVE", f);
    fclose(f);
    CHECK(rewrite_to(src, dst, tags, 1, err, sizeof err) != 0
              && strstr(err, "not a FLAC file"), "a WAV is refused: %s", err);
}

int main(void)
{
    tu_tmpdir(dir, sizeof dir);
    float *x = signal();
    test_tagged(x);
    test_rewrite(x);
    free(x);
    tu_run("rm -rf '%s'", dir);
    return tu_done();
}

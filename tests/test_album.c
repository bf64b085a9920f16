/* Album scripts (chains/album.lua + nodes/sequence.c) run through `lathe render` as a user runs
 * them: the CD image re-cut at its CUE indexes gives back each track's samples, gaps are digital
 * silence of the planned length, crossfade gains sum to unity (or constant power), album and
 * track loudness modes, IMAGE.DAT/PQDESCR against the image and the CUE, and the metadata and
 * Red Book errors. The oracle for positions is the snapping rule, recomputed here. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "engine/md5.h"

#include <ebur128.h>
#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* A stereo sine track, 16-bit 44.1 kHz unless told; invert_r flips the right channel. */
static void make_track(const char *name, double seconds, double freq, double amp_db, int rate,
                       int invert_r)
{
    char args[512];
    snprintf(args, sizeof args, "render gen.lua -o . --no-cache --quiet -D name=%s -D d=%.6f "
             "-D f=%.3f -D a=%.2f -D rate=%d -D inv=%d", name, seconds, freq, amp_db, rate,
             invert_r);
    CHECK(ct_lathe(args) == 0, "generating %s", name);
}

/* INDEX 00/01 positions (frames) of each TRACK in a CUE sheet; -1 where absent. */
static int parse_cue(const char *text, long idx0[], long idx1[], int max)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, "TRACK ")) && n < max; p++) {
        const char *next = strstr(p + 1, "TRACK ");
        idx0[n] = idx1[n] = -1;
        for (int k = 0; k < 2; k++) {
            const char *ix = strstr(p, k ? "INDEX 01 " : "INDEX 00 ");
            int m, s, f;
            if (ix && (!next || ix < next) && sscanf(ix + 9, "%d:%d:%d", &m, &s, &f) == 3)
                (k ? idx1 : idx0)[n] = ((long)m * 4500 + s * 75 + f) * 588;
        }
        n++;
    }
    return n;
}

static long snap(long x) { return (x + 294) / 588 * 588; }

/* ddp/CHECKSUM.MD5: one md5sum line for IMAGE.DAT, its digest that of the bytes read here. */
static void check_md5(const unsigned char *dat, long dlen)
{
    lathe_md5 m;
    unsigned char d[16];
    char hex[33], want[64];
    lathe_md5_init(&m);
    lathe_md5_update(&m, dat, dat ? (size_t)dlen : 0);
    lathe_md5_final(&m, d);
    lathe_md5_hex(d, hex);
    snprintf(want, sizeof want, "%s  IMAGE.DAT\n", hex);
    char *sums = ct_slurp("cdout/ddp/CHECKSUM.MD5", NULL);
    CHECK(sums && strcmp(sums, want) == 0, "CHECKSUM.MD5 '%s', want '%s'", sums ? sums : "(none)",
          want);
    free(sums);
    if (tu_run("command -v md5sum >/dev/null 2>&1") == 0)
        CHECK(tu_run("cd '%s/cdout/ddp' && md5sum -c --status CHECKSUM.MD5", ct_dir) == 0,
              "md5sum -c accepts ddp/CHECKSUM.MD5");
}

/* Image re-cut at the CUE: each track's samples exactly, gaps digital silence of the planned
 * length, IMAGE.DAT = the image as 16-bit little endian, PQ packets = the CUE indexes. */
static void test_cd_image(void)
{
    const double secs[3] = {5.0, 6.3, 4.55}, gaps[3] = {0, 2.0, 1.3};
    make_track("a1", secs[0], 440, -12, 44100, 0);
    make_track("a2", secs[1], 331, -18, 44100, 0);
    make_track("a3", secs[2], 523, -15, 44100, 0);
    ct_write("cdalbum.lua",
               "local album = require('album')\n"
               "album{ title = 'Exact', artist = 'T', upc = '5012345678900', loudness = 'none',\n"
               "  dither = false, deliver = {'cd', 'ddp'}, chain = function(x) return x end,\n"
               "  tracks = { {file = 'a1.wav', title = 'A', isrc = 'GBAAA2500001'},\n"
               "             {file = 'a2.wav', title = 'B', gap_s = 2.0, isrc = 'gb-aaa-25-00002'},\n"
               "             {file = 'a3.wav', title = 'C', gap_s = 1.3} } }\n");
    CHECK(ct_lathe("render cdalbum.lua -o cdout --no-cache --quiet") == 0, "cd album renders");
    long idx0[8], idx1[8];
    char *cue = ct_slurp("cdout/cd/Exact.cue", NULL);
    CHECK(cue != NULL, "cue written");
    if (!cue)
        return;
    CHECK(strstr(cue, "CATALOG 5012345678900") && strstr(cue, "ISRC GBAAA2500002"),
          "CATALOG and normalized ISRC in the CUE");
    int n = parse_cue(cue, idx0, idx1, 8);
    CHECK(n == 3, "3 tracks in the cue, got %d", n);
    float *img = NULL, *src = NULL;
    long frames = ct_read_audio("cdout/cd/Exact.wav", &img, NULL, NULL);
    CHECK(frames > 0 && frames % 588 == 0, "image is whole sectors (%ld frames)", frames);
    CHECK(idx0[0] == 0 && idx1[0] >= 88200, "track 1: INDEX 00 at 0, INDEX 01 %ld >= 2 s",
          idx1[0]);
    long prev_end = 0, worst_gap_err = 0, nonzero = 0, mismatch = 0;
    for (int i = 0; i < n && i < 3; i++) {
        char name[16];
        snprintf(name, sizeof name, "a%d.wav", i + 1);
        long len = ct_read_audio(name, &src, NULL, NULL);
        long want = i == 0 ? 88200 : snap(prev_end + lround(gaps[i] * 44100));
        CHECK(idx1[i] == want, "track %d INDEX 01 at %ld, the rule says %ld", i + 1, idx1[i], want);
        CHECK(idx1[i] % 588 == 0 && (idx0[i] < 0 || idx0[i] % 588 == 0), "sector-aligned");
        for (long k = 0; k < len * 2; k++)
            mismatch += img[idx1[i] * 2 + k] != src[k];
        for (long k = prev_end * 2; k < idx1[i] * 2; k++)
            nonzero += img[k] != 0.0f;
        if (i > 0) {
            long planned = want - prev_end, lo = lround(gaps[i] * 44100) - 294;
            if (labs(planned - lround(gaps[i] * 44100)) > 294)
                worst_gap_err = planned;
            (void)lo;
        }
        prev_end = idx1[i] + len;
        free(src);
    }
    for (long k = prev_end * 2; k < frames * 2; k++)
        nonzero += img[k] != 0.0f;
    CHECK(mismatch == 0, "re-cut tracks equal the sources sample for sample (%ld differ)", mismatch);
    CHECK(nonzero == 0, "gaps and the tail are digital silence (%ld non-zero)", nonzero);
    CHECK(worst_gap_err == 0, "every gap within half a sector of gap_s");
    CHECK(idx0[1] == (88200 + lround(secs[0] * 44100) + 587) / 588 * 588,
          "track 2's INDEX 00 is the first whole silent sector");
    /* IMAGE.DAT: the same samples, headerless 16-bit little endian. */
    long dlen;
    unsigned char *dat = (unsigned char *)ct_slurp("cdout/ddp/IMAGE.DAT", &dlen);
    CHECK(dat && dlen == frames * 4, "IMAGE.DAT is %ld bytes, want %ld", dlen, frames * 4);
    long dbad = 0;
    for (long k = 0; dat && k < frames * 2 && k * 2 + 1 < dlen; k++) {
        int16_t v = (int16_t)(dat[2 * k] | dat[2 * k + 1] << 8);
        dbad += (float)v / 32768.0f != img[k];
    }
    CHECK(dbad == 0, "IMAGE.DAT = image samples, little endian (%ld differ)", dbad);
    check_md5(dat, dlen);
    /* PQDESCR: 64-byte packets, A-time MMSSFF right-aligned in 8 after VVVS+TRK+IDX. */
    long plen;
    char *pq = ct_slurp("cdout/ddp/PQDESCR", &plen);
    CHECK(pq && plen % 64 == 0 && plen / 64 == 1 + 2 + 2 + 2 + 2, "PQ: lead-in, 6 indexes, "
          "lead-out twice (%ld bytes)", plen);
    int pq_ok = 0;
    for (long k = 0; pq && k + 64 <= plen; k += 64) {
        int trk = atoi((char[3]){pq[k + 4], pq[k + 5], 0}), ix = atoi((char[3]){pq[k + 6], pq[k + 7], 0});
        int mm, ss, ff;
        if (strncmp(pq + k, "VVVS", 4) != 0 || sscanf(pq + k + 10, "%2d%2d%2d", &mm, &ss, &ff) != 3)
            continue;
        long at = ((long)mm * 4500 + ss * 75 + ff) * 588;
        if (trk >= 1 && trk <= 3) {
            long want = ix ? idx1[trk - 1] : idx0[trk - 1];
            pq_ok += at == want;
        }
        else if (pq[k + 4] == 'A')
            pq_ok += at == frames;
    }
    CHECK(pq_ok == 2 + 2 + 2 + 2, "PQ times match the CUE and the lead-out the image (%d of 8)",
          pq_ok);
    char *ms = ct_slurp("cdout/ddp/DDPMS", &plen);
    CHECK(ms && plen == 256 && strstr(ms, "IMAGE.DAT") && strstr(ms, "PQDESCR"), "DDPMS 2 packets");
    char *id = ct_slurp("cdout/ddp/DDPID", &plen);
    CHECK(id && plen == 128 && strncmp(id, "DDP 2.005012345678900", 21) == 0, "DDPID");
    free(ms), free(id), free(pq), free(dat), free(img), free(cue);
}

/* gA, gB from L = gA a + gB b, R = gA a - gB b (track B's right channel is inverted). */
static void test_crossfade(const char *curve, int power)
{
    make_track("x1", 6.0, 300, -6, 44100, 0);
    make_track("x2", 6.0, 470, -6, 44100, 1);
    char script[1024], out[64];
    snprintf(script, sizeof script,
             "local album = require('album')\n"
             "album{ title = 'X', loudness = 'none', deliver = {'streaming'}, crossfade_curve = "
             "'%s', chain = function(x) return x end,\n"
             "  tracks = { {file = 'x1.wav', title = 'A'}, {file = 'x2.wav', title = 'B', "
             "crossfade_s = 1.5} } }\n", curve);
    ct_write("xalbum.lua", script);
    snprintf(out, sizeof out, "render xalbum.lua -o x_%s --no-cache --quiet", curve);
    CHECK(ct_lathe(out) == 0, "crossfade album (%s) renders", curve);
    float *a = NULL, *b = NULL, *fb = NULL;
    long la = ct_read_audio("x1.wav", &a, NULL, NULL), lb = ct_read_audio("x2.wav", &b, NULL, NULL);
    snprintf(out, sizeof out, "x_%s/streaming/02 B.flac", curve);
    long lf = ct_read_audio(out, &fb, NULL, NULL);
    long start = snap(la - lround(1.5 * 44100)), overlap = la - start;
    CHECK(lf == lb, "track B's file runs from the marker to its end (%ld of %ld)", lf, lb);
    double worst = 0.0, mid = 0.0;
    long used = 0;
    for (long k = 0; k < overlap && k < lf; k++) {
        double va = (double)a[(start + k) * 2], vb = (double)b[k * 2];
        if (fabs(va) < 0.2 || fabs(vb) < 0.2)
            continue;
        double ga = ((double)fb[k * 2] + (double)fb[k * 2 + 1]) / (2 * va);
        double gb = ((double)fb[k * 2] - (double)fb[k * 2 + 1]) / (2 * vb);
        double sum = power ? ga * ga + gb * gb : ga + gb;
        if (fabs(sum - 1.0) > worst)
            worst = fabs(sum - 1.0);
        if (labs(k - overlap / 2) < 200)
            mid = ga;
        used++;
    }
    printf("crossfade %s: overlap %ld frames, %ld frames checked, max |sum-1| %.2e, gA(mid) %.4f\n",
           curve, overlap, used, worst, mid);
    CHECK(used > overlap / 4, "enough frames checked");
    CHECK(worst < 2e-4, "%s: gains sum to %s within 2e-4 (worst %.2e)", curve,
          power ? "constant power" : "unity", worst);
    CHECK_NEAR(mid, power ? sqrt(0.5) : 0.5, 0.01, "mid-crossfade gain of the outgoing track");
    free(a), free(b), free(fb);
}

static double lufs_of(const float *x, long frames)
{
    ebur128_state *st = ebur128_init(2, 44100, EBUR128_MODE_I);
    ebur128_add_frames_float(st, x, (size_t)frames);
    double v;
    ebur128_loudness_global(st, &v);
    ebur128_destroy(&st);
    return v;
}

static void test_loudness(const char *mode)
{
    const double amp[3] = {-14, -24, -19}, offs[3] = {0, 1.5, -2};
    const double f[3] = {400, 800, 1500};
    for (int i = 0; i < 3; i++) {
        char name[8];
        snprintf(name, sizeof name, "l%d", i + 1);
        make_track(name, 6.0, f[i], amp[i], 44100, 0);
    }
    char script[1024], args[64];
    snprintf(script, sizeof script,
             "local album = require('album')\n"
             "album{ title = 'L', loudness = '%s', target_lufs = -16, deliver = {'streaming'},\n"
             "  chain = function(x) return x end,\n"
             "  tracks = { {file = 'l1.wav', title = 'A', gain_db = %g}, {file = 'l2.wav', "
             "title = 'B', gain_db = %g, gap_s = 1}, {file = 'l3.wav', title = 'C', gain_db = %g,"
             " gap_s = 1} } }\n", mode, offs[0], offs[1], offs[2]);
    ct_write("lalbum.lua", script);
    snprintf(args, sizeof args, "render lalbum.lua -o l_%s --no-cache --quiet", mode);
    CHECK(ct_lathe(args) == 0, "%s album renders", mode);
    double in[3], out[3];
    const char *titles = "ABC";
    for (int i = 0; i < 3; i++) {
        char name[64];
        float *x = NULL;
        snprintf(name, sizeof name, "l%d.wav", i + 1);
        long n = ct_read_audio(name, &x, NULL, NULL);
        in[i] = lufs_of(x, n);
        free(x);
        snprintf(name, sizeof name, "l_%s/streaming/%02d %c.flac", mode, i + 1, titles[i]);
        ct_read_audio(name, &x, NULL, NULL);
        out[i] = lufs_of(x, n); /* the track's own frames, without the gap after it */
        free(x);
    }
    for (int i = 0; i < 3; i++) {
        printf("%s: track %d in %.3f LUFS, out %.3f LUFS\n", mode, i + 1, in[i], out[i]);
        if (!strcmp(mode, "track"))
            CHECK_NEAR(out[i], -16 + offs[i], 0.1, "track mode: at the target (+ gain_db)");
        else
            CHECK_NEAR(out[i] - out[0], in[i] + offs[i] - in[0] - offs[0], 0.05,
                       "album mode: relative loudness as the script intends");
    }
    if (!strcmp(mode, "album"))
        CHECK_NEAR(out[0], -16.0, 0.1, "album mode: the loudest track at the target");
}

static void expect_error(const char *tracks, const char *extra, int code, const char *n1,
                         const char *n2)
{
    char script[4096];
    snprintf(script, sizeof script,
             "local album = require('album')\nalbum{ title = 'E', deliver = {'cd'}, %s\n"
             "  tracks = { %s } }\n", extra, tracks);
    ct_write("ealbum.lua", script);
    int rc = ct_lathe("render ealbum.lua -o eout --no-cache --quiet");
    CHECK(rc == code, "exit %d, want %d (%s)", rc, code, n1);
    CHECK(ct_stderr_has(n1) && ct_stderr_has(n2), "message names '%s' and '%s'", n1, n2);
}

static void test_errors(void)
{
    make_track("e1", 5.0, 440, -20, 44100, 0);
    make_track("e3", 3.0, 440, -20, 44100, 0);
    make_track("e48", 5.0, 440, -20, 48000, 0);
    expect_error("{file='e1.wav'}, {file='e1.wav', title='Bad', isrc='GB-AAA-25-0001'}", "", 2,
                 "track 2 'Bad'", "ISRC");
    expect_error("{file='e1.wav', isrc='G1AAA2500001'}", "", 2, "track 1", "CC-XXX-YY-NNNNN");
    expect_error("{file='e1.wav'}", "upc = '5012345678901',", 2, "check digit 1 is wrong",
                 "expected 0");
    expect_error("{file='e1.wav'}, {file='e3.wav', title='Short'}", "", 2, "track 2 'Short'",
                 ">= 4 s");
    char many[4096] = "";
    for (int i = 0; i < 100; i++)
        strcat(many, "{file='e1.wav'},");
    expect_error(many, "", 2, "100 tracks", "at most 99");
    /* 81 minutes from generated tracks (planned, never rendered: the check fails first). */
    expect_error("{node=silence{duration_s=2430, rate=44100}}, {node=silence{duration_s=2430, "
                 "rate=44100}}", "", 2, "79:57", "81:02");
    expect_error("{node=silence{duration_s=2250, rate=44100}}, {node=silence{duration_s=2250, "
                 "rate=44100}}", "strict = true,", 2, "warning", "74:30");
    /* Mixed rates: resampled to the highest, with a note in the report. */
    ct_write("malbum.lua", "local album = require('album')\n"
               "album{ title = 'M', deliver = {'cd'}, tracks = { {file = 'e1.wav', title = 'A'},"
               " {file = 'e48.wav', title = 'B'} } }\n");
    CHECK(ct_lathe("render malbum.lua -o mout --no-cache --quiet") == 0, "mixed rates render");
    char *rep = ct_slurp("mout/M.report.txt", NULL);
    CHECK(rep && strstr(rep, "track 1 'A' is 44100 Hz, resampled to the album rate 48000 Hz"),
          "mixed rates: a note in the report");
    free(rep);
}

/* The Vorbis comment "KEY=value" is in the FLAC's bytes (its block structure is checked in
 * test_flac_tags.c). */
static int flac_has(const char *name, const char *comment)
{
    long n;
    char *b = ct_slurp(name, &n);
    size_t k = strlen(comment);
    int found = 0;
    for (long i = 0; b && !found && i + (long)k <= n; i++)
        found = memcmp(b + i, comment, k) == 0;
    free(b);
    return found;
}

/* `lathe master --album`: renders the album as `lathe render` does, checks every deliverable
 * named after a spec (exit 0 when all pass, 1 when one fails), writes report.html; the
 * streaming files carry their ISRC as a tag of its own. */
static void test_master_album(void)
{
    make_track("m1", 5.0, 440, -12, 44100, 0);
    make_track("m2", 4.5, 660, -0.1, 44100, 0); /* true peak above every ceiling */
    const char *fmt = "local album = require('album')\n"
                      "album{ title = 'M', artist = 'T', loudness = 'none', dither = false,\n"
                      "  deliver = {'cd', 'ddp', 'streaming'}, chain = function(x) return x end,\n"
                      "  tracks = { {file = 'm1.wav', title = 'One', isrc = 'GBAAA2500007'}%s } }\n";
    char script[1024];
    snprintf(script, sizeof script, fmt, "");
    ct_write("malbum.lua", script);
    CHECK(ct_lathe("master --album malbum.lua -o mout --no-cache") == 0, "master --album passes");
    char *out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "spec cd: PASS") && strstr(out, "spec streaming: PASS")
              && strstr(out, "report: mout/report.html"), "verdicts and the report printed");
    char *html = ct_slurp("mout/report.html", NULL);
    CHECK(html && strstr(html, "M.wav") && strstr(html, "01 One.flac"),
          "report.html lists the deliverables");
    CHECK(flac_has("mout/streaming/01 One.flac", "ISRC=GBAAA2500007")
              && flac_has("mout/streaming/01 One.flac", "TITLE=One")
              && flac_has("mout/streaming/01 One.flac", "TRACKNUMBER=1")
              && !flac_has("mout/streaming/01 One.flac", "COMMENT="),
          "ISRC, TITLE, TRACKNUMBER tags (no ISRC in COMMENT)");
    free(out);
    free(html);
    snprintf(script, sizeof script, fmt, ", {file = 'm2.wav', title = 'Two', gap_s = 1}");
    ct_write("malbum2.lua", script);
    CHECK(ct_lathe("master --album malbum2.lua -o mout2 --no-cache") == 1,
          "master --album exits 1 when a deliverable fails its spec");
    out = ct_slurp("stdout.txt", NULL);
    CHECK(out && strstr(out, "spec cd: FAIL") && strstr(out, "true_peak"),
          "the failing rule is named");
    free(out);
    CHECK(ct_lathe("master --album malbum.lua m1.wav -o mout3") == 2, "--album takes no mixes");
}

int main(void)
{
    ct_setup();
    ct_write("gen.lua",
               "local s = sine{freq_hz = param('f', 440), duration_s = param('d', 6), "
               "amplitude_db = param('a', -20), rate = param('rate', 44100), channels = 2}\n"
               "if param('inv', 0) == 1 then s = s:polarity{invert_channels = {1}} end\n"
               "output(s, param('name', 't') .. '.wav', {bits = 16})\n");
    test_cd_image();
    test_crossfade("equal_gain", 0);
    test_crossfade("equal_power", 1);
    test_loudness("album");
    test_loudness("track");
    test_errors();
    test_master_album();
    return tu_done();
}

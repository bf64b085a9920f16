/* Outputs copied from a file lathe wrote earlier (see output_copy.h). The note is a cache note
 * (replaceable: the newest file of a content wins) holding the hash of the file's bytes, so a
 * file edited or replaced since is never copied: the output is then rendered as usual. */
#define _GNU_SOURCE
#include "output_copy.h"
#include "safe_file.h"

#include "lathe/lathe.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

/* A note lists the last few files written with one content, newest first: a folder deleted since
 * (masters/v2, say) leaves the others to copy from. Each record: hash lo, hash hi, size,
 * mtime_ns, path length (little-endian u64s), then the path. */
#define NOTE_VERSION 2u
#define NOTE_KEEP 4
#define REC_HEAD 40
#define NOTE_MAX (8 + NOTE_KEEP * (REC_HEAD + PATH_MAX))

typedef struct noted_file {
    lathe_key hash;
    uint64_t size;
    int64_t mtime_ns;
    char path[PATH_MAX];
} noted_file;

static lathe_key note_key(lathe_key content)
{
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_key_builder_add_str(&kb, "output written at");
    lathe_key_builder_add_key(&kb, content);
    return lathe_key_builder_finish(&kb);
}

static void put_le64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* The files of a note, newest first; returns how many (0 when there is none or it is unreadable). */
static int read_note(lathe_cache *cache, lathe_key key, noted_file *files)
{
    static _Thread_local unsigned char note[NOTE_MAX];
    size_t len, at = 8;
    int n = 0;
    if (lathe_cache_get_note(cache, note_key(key), note, sizeof note, &len) != LATHE_OK || len < 8
        || get_le64(note) != NOTE_VERSION)
        return 0;
    while (n < NOTE_KEEP && at + REC_HEAD <= len) {
        noted_file *f = &files[n];
        uint64_t plen = get_le64(note + at + 32);
        if (plen == 0 || plen >= PATH_MAX || at + REC_HEAD + plen > len)
            break;
        f->hash.lo = get_le64(note + at);
        f->hash.hi = get_le64(note + at + 8);
        f->size = get_le64(note + at + 16);
        f->mtime_ns = (int64_t)get_le64(note + at + 24);
        memcpy(f->path, note + at + REC_HEAD, plen);
        f->path[plen] = 0;
        at += REC_HEAD + plen;
        n++;
    }
    return n;
}

/* Puts now at the head of key's note. */
static void note_add(lathe_cache *cache, lathe_key key, const noted_file *now)
{
    static _Thread_local unsigned char note[NOTE_MAX];
    noted_file old[NOTE_KEEP];
    const char *abs_path = now->path;
    int n_old = read_note(cache, key, old), kept = 0;
    size_t at = 8;
    put_le64(note, NOTE_VERSION);
    for (int i = -1; i < n_old && kept < NOTE_KEEP; i++) {
        const noted_file *f = i < 0 ? now : &old[i];
        if (i >= 0 && strcmp(f->path, abs_path) == 0)
            continue; /* rewritten: its newest record leads */
        size_t plen = strlen(f->path);
        put_le64(note + at, f->hash.lo);
        put_le64(note + at + 8, f->hash.hi);
        put_le64(note + at + 16, f->size);
        put_le64(note + at + 24, (uint64_t)f->mtime_ns);
        put_le64(note + at + 32, plen);
        memcpy(note + at + REC_HEAD, f->path, plen);
        at += REC_HEAD + plen;
        kept++;
    }
    lathe_cache_put_note(cache, note_key(key), note, at);
}

int lathe_output_note_written(lathe_cache *cache, lathe_key key, const char *abs_path,
                              lathe_key *content)
{
    noted_file now;
    lathe_file_id id;
    if (strlen(abs_path) >= PATH_MAX ||
        lathe_cache_file_key_written(cache, abs_path, &now.hash, &id) != LATHE_OK)
        return -1;
    if (content)
        *content = now.hash;
    now.size = id.size;
    now.mtime_ns = id.mtime_ns;
    snprintf(now.path, sizeof now.path, "%s", abs_path);
    note_add(cache, key, &now);
    lathe_cache_put_file(cache, key, abs_path); /* for other machines, when the cache is shared */
    return 0;
}

int lathe_output_noted_intact(lathe_cache *cache, lathe_key key, const char *abs_path)
{
    noted_file files[NOTE_KEEP];
    lathe_key now;
    int n = read_note(cache, key, files);
    for (int i = 0; i < n; i++)
        if (strcmp(files[i].path, abs_path) == 0)
            return lathe_cache_file_key(cache, abs_path, &now) == LATHE_OK &&
                   lathe_key_equal(now, files[i].hash);
    return -1;
}

/* No reflink here: the kernel copies (no trip through user memory); 0 when it cannot (another
 * filesystem's file, an old kernel) and nothing was written, then the bytes go through a buffer. */
static int copy_in_kernel(int in, int out, off_t size)
{
    off_t done = 0;
    while (done < size) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
        if (n <= 0)
            return done == 0 ? 0 : (errno = n == 0 ? EIO : errno, -1);
        done += n;
    }
    return 1;
}

int lathe_copy_file_into(const char *src, int out)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    struct stat st;
    int ok = fstat(in, &st) == 0 && fchmod(out, st.st_mode & 0777) == 0;
    int kernel = ok && ioctl(out, FICLONE, in) != 0 ? copy_in_kernel(in, out, st.st_size) : 1;
    ok &= kernel >= 0;
    if (ok && kernel == 0) {
        char *tbuf = malloc(1 << 20);
        ok = tbuf != NULL;
        for (ssize_t r; ok && (r = read(in, tbuf, 1 << 20)) != 0;) {
            if (r < 0) {
                ok = errno == EINTR;
                continue;
            }
            for (ssize_t off = 0, w; ok && off < r; off += w > 0 ? w : 0)
                ok = (w = write(out, tbuf + off, (size_t)(r - off))) > 0 || errno == EINTR;
        }
        free(tbuf);
    }
    int e = errno;
    close(in);
    errno = e;
    return ok ? 0 : -1;
}

/* Copies f to dest when it still holds its noted bytes (see output_copy.h). */
static int copy_one(lathe_cache *cache, const noted_file *f, const char *dest, int dry_run)
{
    char abs_dest[PATH_MAX];
    struct stat st;
    lathe_key got;
    lathe_file_id id;
    if (stat(f->path, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != f->size)
        return 0;
    /* Rendering onto the noted file itself is not a copy (and dest may not exist yet). */
    if (realpath(dest, abs_dest) && strcmp(abs_dest, f->path) == 0)
        return 0;
    if (dry_run) /* the file-key memo: no read once the file has settled */
        return lathe_cache_file_key(cache, f->path, &got) == LATHE_OK &&
               lathe_key_equal(got, f->hash);
    lathe_safe_file sf;
    char err[512];
    if (lathe_safe_open(&sf, NULL, dest, err, sizeof err) != 0)
        return 0;
    /* The copy is what is checked: a source edited between the note and now is never passed on. */
    if (lathe_copy_file_into(f->path, sf.fd) != 0 || lathe_key_file(sf.tmp_path, &got, &id) != LATHE_OK
        || !lathe_key_equal(got, f->hash) || id.size != f->size || lathe_safe_commit(&sf) != 0) {
        lathe_safe_abandon(&sf);
        return 0;
    }
    return 1;
}

/* Writes the shared cache's copy of key's file to dest (checked as it is written). */
static int copy_cached(lathe_cache *cache, lathe_key key, const char *dest, int dry_run)
{
    if (dry_run)
        return lathe_cache_get_file(cache, key, -1) == LATHE_OK;
    lathe_safe_file sf;
    char err[512], abs_dest[PATH_MAX];
    if (lathe_safe_open(&sf, NULL, dest, err, sizeof err) != 0)
        return 0;
    if (lathe_cache_get_file(cache, key, sf.fd) != LATHE_OK || fchmod(sf.fd, 0644) != 0 ||
        lathe_safe_commit(&sf) != 0) {
        lathe_safe_abandon(&sf);
        return 0;
    }
    if (realpath(dest, abs_dest)) /* later renders on this machine copy the file itself */
        lathe_output_note_written(cache, key, abs_dest, NULL);
    return 1;
}

int lathe_output_copy_noted(lathe_cache *cache, lathe_key key, const char *dest, int dry_run,
                            char *from, size_t from_size)
{
    noted_file files[NOTE_KEEP], now;
    struct stat st;
    int n = read_note(cache, key, files);
    for (int i = 0; i < n; i++)
        if (copy_one(cache, &files[i], dest, dry_run)) {
            snprintf(from, from_size, "%s", files[i].path);
            /* The copy joins the note with the hash it was checked against (no second read). */
            if (!dry_run && realpath(dest, now.path) && stat(now.path, &st) == 0) {
                now.hash = files[i].hash;
                now.size = (uint64_t)st.st_size;
                now.mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
                note_add(cache, key, &now);
            }
            return 1;
        }
    if (copy_cached(cache, key, dest, dry_run)) {
        snprintf(from, from_size, "the shared cache");
        return 1;
    }
    return 0;
}

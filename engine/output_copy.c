/* Outputs copied from a file lathe wrote earlier (see output_copy.h). The note is a cache note
 * (replaceable: the newest file of a content wins) holding the hash of the file's bytes, so a
 * file edited or replaced since is never copied: the output is then rendered as usual. */
#define _GNU_SOURCE
#include "output_copy.h"

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

#define NOTE_VERSION 1u
#define NOTE_HEAD 40 /* version u64, hash lo, hash hi, size, mtime_ns: little-endian u64s */

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

void lathe_output_note_written(lathe_cache *cache, lathe_key key, const char *abs_path)
{
    unsigned char note[NOTE_HEAD + PATH_MAX];
    lathe_file_id id;
    lathe_key hash;
    size_t n = strlen(abs_path);
    if (n >= PATH_MAX || lathe_key_file(abs_path, &hash, &id) != LATHE_OK)
        return;
    put_le64(note, NOTE_VERSION);
    put_le64(note + 8, hash.lo);
    put_le64(note + 16, hash.hi);
    put_le64(note + 24, id.size);
    put_le64(note + 32, (uint64_t)id.mtime_ns);
    memcpy(note + NOTE_HEAD, abs_path, n);
    lathe_cache_put_note(cache, note_key(key), note, NOTE_HEAD + n);
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

int lathe_copy_file_new(const char *src, const char *dst_tmp)
{
    int in = open(src, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return -1;
    struct stat st;
    int out = fstat(in, &st) == 0
            ? open(dst_tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600) : -1;
    if (out < 0) {
        int e = errno;
        close(in);
        errno = e;
        return -1;
    }
    int ok = fchmod(out, st.st_mode & 0777) == 0;
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
    ok &= close(out) == 0;
    close(in);
    if (!ok) {
        unlink(dst_tmp);
        errno = e;
        return -1;
    }
    return 0;
}

/* The noted file, if it still exists, is not dest and has its noted size. */
static int read_note(lathe_cache *cache, lathe_key key, const char *dest, char *src,
                     lathe_key *hash, uint64_t *size)
{
    unsigned char note[NOTE_HEAD + PATH_MAX];
    size_t len;
    char abs_dest[PATH_MAX];
    struct stat st;
    if (lathe_cache_get_note(cache, note_key(key), note, sizeof note - 1, &len) != LATHE_OK
        || len <= NOTE_HEAD || get_le64(note) != NOTE_VERSION)
        return 0;
    hash->lo = get_le64(note + 8);
    hash->hi = get_le64(note + 16);
    *size = get_le64(note + 24);
    memcpy(src, note + NOTE_HEAD, len - NOTE_HEAD);
    src[len - NOTE_HEAD] = 0;
    if (stat(src, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != *size)
        return 0;
    /* Rendering onto the noted file itself is not a copy (and dest may not exist yet). */
    return !(realpath(dest, abs_dest) && strcmp(abs_dest, src) == 0);
}

int lathe_output_copy_noted(lathe_cache *cache, lathe_key key, const char *dest, int dry_run,
                            char *from, size_t from_size)
{
    char src[PATH_MAX], tmp[PATH_MAX + 64];
    lathe_key want, got;
    uint64_t size;
    if (!read_note(cache, key, dest, src, &want, &size))
        return 0;
    if (dry_run) {
        int same = lathe_key_file(src, &got, NULL) == LATHE_OK && lathe_key_equal(got, want);
        if (same)
            snprintf(from, from_size, "%s", src);
        return same;
    }
    const char *slash = strrchr(dest, '/');
    int dirlen = slash ? (int)(slash - dest + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.%s.lathe-copy-%ld", dirlen, dest, dest + dirlen,
                 (long)getpid()) >= (int)sizeof tmp)
        return 0;
    unlink(tmp); /* debris of a killed run with this pid: ours by name */
    if (lathe_copy_file_new(src, tmp) != 0)
        return 0;
    /* The copy is what is checked: a source edited between the note and now is never passed on. */
    lathe_file_id id;
    if (lathe_key_file(tmp, &got, &id) != LATHE_OK || !lathe_key_equal(got, want)
        || id.size != size || rename(tmp, dest) != 0) {
        unlink(tmp);
        return 0;
    }
    snprintf(from, from_size, "%s", src);
    return 1;
}

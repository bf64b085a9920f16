/* safe_file.c - temporary file, rename, no link followed below the user's folder (safe_file.h).
 * Folders are walked one name at a time with openat(O_NOFOLLOW), so what is checked is what is
 * written: a folder swapped for a link between a check and the write cannot redirect it. */
#define _GNU_SOURCE
#include "safe_file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* A temporary file older than this whose process is gone is a leftover of a killed run. The age
 * also spares a live temporary file of another machine writing into a shared folder. */
#define STALE_AFTER_S 300

/* Opens the folder that holds path's last part and copies that part to last. */
static int open_parent(const char *root, const char *path, int make, char *last, size_t last_size,
                       char *err, size_t n)
{
    size_t rl = root ? strlen(root) : 0;
    while (rl > 1 && root[rl - 1] == '/')
        rl--;
    char start[4096];
    const char *rest;
    if (rl && rl < sizeof start && strncmp(path, root, rl) == 0 && path[rl] == '/') {
        memcpy(start, root, rl);
        start[rl] = 0;
        rest = path + rl + 1;
    } else if (path[0] == '/') {
        strcpy(start, "/");
        rest = path + 1;
    } else {
        strcpy(start, ".");
        rest = path;
    }
    int fd = open(start, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, n, "%s: cannot open its folder %s: %s", path, start, strerror(errno));
        return -1;
    }
    for (;;) {
        while (*rest == '/')
            rest++;
        const char *slash = strchr(rest, '/');
        size_t len = slash ? (size_t)(slash - rest) : strlen(rest);
        char name[256];
        if (len == 0 || len >= sizeof name) {
            snprintf(err, n, "%s: %s", path, len ? "a name in the path is too long" : "no file name");
            close(fd);
            return -1;
        }
        memcpy(name, rest, len);
        name[len] = 0;
        if (!slash) {
            snprintf(last, last_size, "%s", name);
            return fd;
        }
        rest = slash + 1;
        if (!strcmp(name, "."))
            continue;
        if (!strcmp(name, "..")) {
            snprintf(err, n, "%s: \"..\" below the output folder", path);
            close(fd);
            return -1;
        }
        int next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0 && errno == ENOENT && make) {
            if (mkdirat(fd, name, 0777) != 0 && errno != EEXIST) {
                snprintf(err, n, "%s: cannot create the folder %s: %s", path, name, strerror(errno));
                close(fd);
                return -1;
            }
            next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
        if (next < 0) {
            int e = errno;
            if (e == ELOOP || e == ENOTDIR)
                snprintf(err, n, "%s: %s is a symbolic link or not a folder: lathe writes only "
                         "into real folders inside the output folder", path, name);
            else
                snprintf(err, n, "%s: cannot open the folder %s: %s", path, name, strerror(e));
            close(fd);
            return -1;
        }
        close(fd);
        fd = next;
    }
}

/* ".NAME.lathe-tmp-": the part of a temporary name before the process id. Long names are cut
 * so the whole temporary name stays within NAME_MAX. */
static void tmp_prefix(const char *name, char *out, size_t size)
{
    snprintf(out, size, ".%.200s.lathe-tmp-", name);
}

static void remove_stale(int dirfd, const char *prefix)
{
    int dfd = dup(dirfd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d) {
        if (dfd >= 0)
            close(dfd);
        return;
    }
    size_t pl = strlen(prefix);
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, prefix, pl) != 0)
            continue;
        char *end;
        long pid = strtol(e->d_name + pl, &end, 10);
        struct stat st;
        if (pid <= 0 || end == e->d_name + pl || (*end && *end != '-') || pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && now - st.st_mtime >= STALE_AFTER_S)
            unlinkat(dirfd, e->d_name, 0);
    }
    closedir(d);
}

int lathe_safe_mkdirs(const char *root, const char *path, char *err, size_t n)
{
    char last[256];
    int fd = open_parent(root, path, 1, last, sizeof last, err, n);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

int lathe_safe_open(lathe_safe_file *f, const char *root, const char *path, char *err, size_t n)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->dirfd = open_parent(root, path, 1, f->name, sizeof f->name, err, n);
    if (f->dirfd < 0)
        return -1;
    char prefix[256];
    tmp_prefix(f->name, prefix, sizeof prefix);
    remove_stale(f->dirfd, prefix);
    for (int attempt = 0; attempt < 16 && f->fd < 0; attempt++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
            unsigned long t = (unsigned long)clock() ^ ((unsigned long)time(NULL) << 20) ^ (unsigned long)attempt;
            memcpy(r, &t, sizeof r < sizeof t ? sizeof r : sizeof t);
        }
        snprintf(f->tmp, sizeof f->tmp, "%s%ld-%02x%02x%02x%02x%02x%02x", prefix, (long)getpid(),
                 r[0], r[1], r[2], r[3], r[4], r[5]);
        f->fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
        if (f->fd < 0 && errno != EEXIST)
            break;
    }
    if (f->fd < 0) {
        snprintf(err, n, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
        f->tmp[0] = 0;
        lathe_safe_abandon(f);
        return -1;
    }
    const char *slash = strrchr(path, '/');
    snprintf(f->tmp_path, sizeof f->tmp_path, "%.*s%s", slash ? (int)(slash - path + 1) : 0, path,
             f->tmp);
    return 0;
}

FILE *lathe_safe_stream(lathe_safe_file *f)
{
    FILE *s = fdopen(f->fd, "wb");
    if (s)
        f->fd = -1;
    return s;
}

int lathe_safe_commit(lathe_safe_file *f)
{
    if (f->fd >= 0)
        close(f->fd), f->fd = -1;
    if (renameat(f->dirfd, f->tmp, f->dirfd, f->name) != 0)
        return -1;
    f->tmp[0] = 0;
    close(f->dirfd);
    f->dirfd = -1;
    return 0;
}

void lathe_safe_abandon(lathe_safe_file *f)
{
    if (f->fd >= 0)
        close(f->fd);
    if (f->dirfd >= 0 && f->tmp[0])
        unlinkat(f->dirfd, f->tmp, 0);
    if (f->dirfd >= 0)
        close(f->dirfd);
    f->fd = f->dirfd = -1;
    f->tmp[0] = 0;
}

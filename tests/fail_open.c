/* fail_open.c - a fault injector preloaded (LD_PRELOAD) into the lathe binary by
 * test_cli_versions.c: opening for reading a path that contains $LATHE_TEST_FAIL_OPEN fails with
 * EIO, as when an earlier render's file vanishes or its disk fails between the check that it can
 * be copied (a stat and the file-key memo) and the copy itself. Everything else opens as usual. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

static int refused(const char *path, int flags)
{
    const char *p = getenv("LATHE_TEST_FAIL_OPEN");
    return p && *p && path && (flags & O_ACCMODE) == O_RDONLY && strstr(path, p);
}

#define FAIL_OPEN(name)                                                                          \
    int name(const char *path, int flags, ...)                                                  \
    {                                                                                           \
        static int (*real)(const char *, int, ...);                                             \
        mode_t mode = 0;                                                                        \
        if (flags & (O_CREAT | O_TMPFILE)) {                                                    \
            va_list ap;                                                                         \
            va_start(ap, flags);                                                                \
            mode = (mode_t)va_arg(ap, int);                                                     \
            va_end(ap);                                                                         \
        }                                                                                       \
        if (refused(path, flags)) {                                                             \
            errno = EIO;                                                                        \
            return -1;                                                                          \
        }                                                                                       \
        if (!real)                                                                              \
            real = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, #name);                    \
        return real(path, flags, mode);                                                         \
    }
FAIL_OPEN(open)
FAIL_OPEN(open64)

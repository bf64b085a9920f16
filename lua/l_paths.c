/* Where a script may read and write. Outputs resolve inside the output folder (or a folder
 * named by --allow-path); `..` and absolute paths cannot leave it. */
#define _XOPEN_SOURCE 700
#include "l_private.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lexically normalises an absolute path: collapses //, . and .. (never above /). */
static void normalise(const char *in, char *out, size_t size)
{
    char buf[PATH_MAX];
    size_t len = 0;
    out[0] = 0;
    if (strlen(in) >= sizeof buf)
        return; /* too long: the caller refuses an empty result */
    memcpy(buf, in, strlen(in) + 1);
    for (char *save = NULL, *part = strtok_r(buf, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (strcmp(part, ".") == 0)
            continue;
        if (strcmp(part, "..") == 0) {
            char *slash = strrchr(out, '/');
            len = slash ? (size_t)(slash - out) : 0;
            out[len] = 0;
            continue;
        }
        len += (size_t)snprintf(out + len, size - len, "/%s", part);
        if (len >= size)
            len = size - 1;
    }
    if (!out[0] && size > 1)
        snprintf(out, size, "/");
}

static int inside(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    if (n == 1 && dir[0] == '/')
        return 1;
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == 0);
}

int lathe_lua_resolve_input(lathe_script_ctx *ctx, const char *path, char *out, size_t size)
{
    struct stat st;
    if (path[0] == '/') {
        snprintf(out, size, "%s", path);
        return LATHE_OK;
    }
    snprintf(out, size, "%s/%s", ctx->script_dir, path);
    if (stat(out, &st) == 0)
        return LATHE_OK;
    snprintf(out, size, "%s", path); /* then the current folder */
    return LATHE_OK;
}

int lathe_lua_resolve_output(lathe_script_ctx *ctx, const char *path, char *out, size_t size,
                             char *why, size_t why_size)
{
    char joined[PATH_MAX * 2], norm[PATH_MAX];
    if (path[0] == '/')
        snprintf(joined, sizeof joined, "%s", path);
    else
        snprintf(joined, sizeof joined, "%s/%s", ctx->out_dir, path);
    normalise(joined, norm, sizeof norm);
    if (!norm[0]) {
        snprintf(why, why_size, "output path too long");
        return LATHE_ERR_PARAM;
    }
    /* Resolve the folder part through symlinks, so a link cannot lead outside either; folders
     * that do not exist yet are resolved from their deepest existing ancestor, so a link inside the
     * output folder cannot lead outside through a folder lathe would create. */
    char dir[PATH_MAX], real[PATH_MAX];
    const char *last = strrchr(norm, '/');
    size_t dir_len = last ? (size_t)(last - norm) : 0;
    snprintf(dir, sizeof dir, "%.*s", (int)dir_len, norm);
    while (!realpath(dir[0] ? dir : "/", real)) {
        char *up = strrchr(dir, '/');
        if (!up) { /* a relative name with no existing folder: taken as it is */
            snprintf(real, sizeof real, "%s", dir);
            break;
        }
        *up = 0;
    }
    size_t have = strlen(dir);
    snprintf(out, size, "%s%.*s/%s", strcmp(real, "/") ? real : "", (int)(dir_len - have),
             norm + have, last ? last + 1 : norm);
    if (inside(out, ctx->out_dir))
        return LATHE_OK;
    for (int i = 0; i < ctx->cfg->n_allow; i++) {
        char allowed[PATH_MAX];
        if (realpath(ctx->cfg->allow_paths[i], allowed) && inside(out, allowed))
            return LATHE_OK;
    }
    snprintf(why, why_size, "%s is outside the output folder %s (name its folder with --allow-path)",
             path, ctx->out_dir);
    return LATHE_ERR_PARAM;
}

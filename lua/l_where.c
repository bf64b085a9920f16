/* Script-level helpers the bindings share: where in the script a call came from, and the
 * closest global name for "did you mean". Here rather than in l_node.c, so that l_script.c
 * and l_node.c do not lean on each other for them. */
#include "l_private.h"

#include "engine/params.h"

#include <lauxlib.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* Where `:method` of the chain begun on `line` is, searched in the script's text from where the
 * chain's previous node was found: on that line, or on a continuation line (Lua continues an
 * expression on a line that begins with ':'; lines of a table argument are passed over) before
 * anything that looks like a new statement. Lua itself gives every call of such a chain the
 * chain's first line. -1 when not found (a function-call form, a loop's second pass). */
static int chain_line_of(lathe_script_ctx *ctx, int line, const char *method)
{
    const char *s = ctx->source;
    size_t len = ctx->source_len, n = strlen(method), start = 0;
    for (int l = 1; l < line && start < len; start++)
        l += s[start] == '\n';
    if (ctx->chain_line != line || ctx->chain_pos < start)
        ctx->chain_line = line, ctx->chain_pos = start;
    for (int pass = 0; pass < 2; pass++, ctx->chain_pos = start) {
        size_t p = ctx->chain_pos;
        int cur = line;
        for (size_t q = start; q < p; q++)
            cur += s[q] == '\n';
        for (int first = 1; p < len; first = 0, cur++) {
            size_t e = p;
            while (e < len && s[e] != '\n')
                e++;
            size_t b = p;
            while (!first && b < e && (s[b] == ' ' || s[b] == '\t'))
                b++;
            if (!first && b < e && ident_char(s[b]))
                break; /* a new statement */
            int searchable = first || (b < e && s[b] == ':');
            for (size_t q = p; searchable && q < e; q++) {
                if (s[q] != ':')
                    continue;
                size_t m = q + 1;
                while (m < e && (s[m] == ' ' || s[m] == '\t'))
                    m++;
                if (m + n <= e && !memcmp(s + m, method, n) &&
                    (m + n == e || !ident_char(s[m + n]))) {
                    ctx->chain_pos = m + n;
                    return cur;
                }
            }
            p = e + 1;
        }
    }
    return -1;
}

void lathe_lua_origin(lua_State *L, const char *method, char *buf, size_t size)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    lua_Debug ar;
    for (int level = 1; ctx && lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0 || strcmp(ar.source, ctx->chunkname))
            continue;
        int line = ar.currentline, own = -1;
        if (level == 1 && method && ctx->source)
            own = chain_line_of(ctx, line, method);
        snprintf(buf, size, "%s:%d", ar.short_src, own > 0 ? own : line);
        return;
    }
    luaL_where(L, 1);
    size_t n;
    const char *w = lua_tolstring(L, -1, &n);
    if (n >= 2 && w[n - 2] == ':')
        n -= 2; /* "file:12: " -> "file:12" */
    snprintf(buf, size, "%.*s", (int)n, w);
    lua_pop(L, 1);
}

const char *lathe_lua_suggest_global(lua_State *L, const char *name, char *buf, size_t size)
{
    lathe_param names[256] = {{0}};
    int k = 0;
    lua_pushglobaltable(L);
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) { /* names kept alive by the global table while we look */
        if (k < 255 && lua_type(L, -2) == LUA_TSTRING && lua_type(L, -1) == LUA_TFUNCTION)
            names[k++].name = lua_tostring(L, -2);
        lua_pop(L, 1);
    }
    const char *s = lathe_params_suggest(names, name);
    if (s)
        snprintf(buf, size, "%s", s);
    lua_pop(L, 1);
    return s ? buf : NULL;
}

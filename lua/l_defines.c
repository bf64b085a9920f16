/* param(name, default) and its bookkeeping: every -D name=value must be read by some param()
 * call (the script's own, a profile key of chains/deliver.lua, a chain option), otherwise the
 * value changes nothing and the user is never told; that is an error naming the closest name
 * the script did read and, for a "profile.key" name, the keys of that profile. */
#include "l_private.h"

#include "engine/params.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char READ_KEY = 'r'; /* names param() was asked for -> true */

static int l_param(lua_State *L)
{
    const lathe_script_config *cfg = lathe_lua_ctx(L)->cfg;
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    const char *name = luaL_checkstring(L, 1);
    size_t n = strlen(name);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &READ_KEY);
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, name);
    lua_pop(L, 1);
    for (int i = 0; i < cfg->n_defines; i++) /* every -D of this name counts as read */
        if (strncmp(cfg->defines[i], name, n) == 0 && cfg->defines[i][n] == '=')
            ctx->define_read[i] = 1;
    for (int i = cfg->n_defines - 1; i >= 0; i--) {
        const char *d = cfg->defines[i];
        if (strncmp(d, name, n) == 0 && d[n] == '=') {
            const char *v = d + n + 1;
            if (lua_type(L, 2) == LUA_TNUMBER) {
                if (!lua_stringtonumber(L, v))
                    return luaL_error(L, "-D %s=%s: expected a number", name, v);
            } else if (lua_type(L, 2) == LUA_TBOOLEAN) {
                lua_pushboolean(L, strcmp(v, "true") == 0 || strcmp(v, "1") == 0 || strcmp(v, "yes") == 0);
            } else {
                lua_pushstring(L, v);
            }
            return 1;
        }
    }
    lua_settop(L, 2);
    return 1;
}

void lathe_lua_open_defines(lua_State *L)
{
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &READ_KEY);
    lua_register(L, "param", l_param);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names param() read, sorted (kept alive by the registry table). */
static int read_names(lua_State *L, const char **names, int max)
{
    int n = 0;
    lua_rawgetp(L, LUA_REGISTRYINDEX, &READ_KEY);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pop(L, 1);
        if (n < max)
            names[n++] = lua_tostring(L, -1);
    }
    lua_pop(L, 1);
    qsort(names, (size_t)n, sizeof *names, compare_names);
    return n;
}

/* "; cd keys: ceiling_dbtp, rate, ..." for a "cd.xyz" name when the script read cd.* names. */
static void profile_keys(const char *name, const char *const *names, int n, char *out,
                         size_t size)
{
    const char *dot = strchr(name, '.');
    size_t len = dot ? (size_t)(dot - name) + 1 : 0, used = 0;
    out[0] = 0;
    for (int i = 0; len && i < n; i++) {
        if (strncmp(names[i], name, len) != 0)
            continue;
        int w = snprintf(out + used, size - used, "%s%s", used ? ", " : "", names[i] + len);
        if (w < 0 || (size_t)w >= size - used) {
            snprintf(out + size - 5, 5, "...");
            return;
        }
        used += (size_t)w;
    }
}

/* "; it reads: a, b, ...; and the keys of: cd., streaming." */
static void names_read(const char *const *names, int n, char *out, size_t size)
{
    int dotted = 0;
    for (int i = 0; i < n; i++)
        dotted += strchr(names[i], '.') != NULL;
    if (n == 0) {
        snprintf(out, size, " (it reads no -D values)");
        return;
    }
    size_t used = (size_t)snprintf(out, size, "; it reads:");
    for (int pass = 0; pass < 2; pass++) {
        const char *last = NULL;
        if (pass == 1 && !dotted)
            break;
        if (pass == 1 && used < size)
            used += (size_t)snprintf(out + used, size - used, "%s the keys of:",
                                     dotted < n ? "; and" : "");
        for (int i = 0; i < n && used < size; i++) {
            const char *dot = strchr(names[i], '.');
            if ((pass == 0) != !dot)
                continue;
            size_t len = dot ? (size_t)(dot - names[i]) + 1 : strlen(names[i]);
            if (last && strncmp(last, names[i], len) == 0 && last[len - 1] == '.')
                continue; /* one mention per profile */
            used += (size_t)snprintf(out + used, size - used, " %.*s%s", (int)len, names[i],
                                     dot ? "*" : "");
            last = names[i];
        }
    }
}

int lathe_lua_unread_define(lua_State *L, char *err, size_t err_size)
{
    const lathe_script_ctx *ctx = lathe_lua_ctx(L);
    const lathe_script_config *cfg = ctx->cfg;
    for (int i = cfg->n_implicit; i < cfg->n_defines; i++) {
        if (ctx->define_read[i])
            continue;
        const char *d = cfg->defines[i], *eq = strchr(d, '=');
        char name[128], keys[1024];
        snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - d) : (int)strlen(d), d);
        const char *names[256];
        lathe_param table[257] = {{0}};
        int n = read_names(L, names, 256);
        for (int k = 0; k < n; k++)
            table[k].name = names[k];
        const char *s = lathe_params_suggest(table, name);
        profile_keys(name, names, n, keys, sizeof keys);
        char prefix[128] = "";
        if (keys[0])
            snprintf(prefix, sizeof prefix, "%.*s", (int)(strchr(name, '.') - name), name);
        const char *script = strcmp(cfg->script_path, "-") == 0 ? "stdin" : cfg->script_path;
        const char *base = strrchr(script, '/');
        snprintf(err, err_size, "-D %s: nothing in %s reads '%s'%s%s%s%s%s%s", d,
                 base ? base + 1 : script, name, s ? " (did you mean '" : "", s ? s : "",
                 s ? "'?)" : "", keys[0] ? "; " : "", keys[0] ? prefix : "",
                 keys[0] ? " keys: " : "");
        size_t len = strlen(err);
        if (keys[0])
            snprintf(err + len, err_size - len, "%s", keys);
        else if (!s)
            names_read(names, n, err + len, err_size - len);
        return -1;
    }
    return 0;
}

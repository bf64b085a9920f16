/* `lathe help deliver` and `lathe help master`: the deliverable profiles as chains/deliver.lua
 * defines them (the table its option checks read), each key with its default and the line of
 * deliver.about that says what it means. */
#define _XOPEN_SOURCE 700
#include "l_private.h"

#include <lauxlib.h>
#include <lualib.h>

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const profile_order[] = {"streaming", "cd", "vinyl", "hires", "mp3", NULL};

int lathe_lua_find_chain(const char *file, char *out, size_t size)
{
    const char *dirs[] = {getenv("LATHE_CHAINS"), LATHE_CHAINS_DIR, LATHE_INSTALLED_CHAINS_DIR};
    struct stat st;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i] || !*dirs[i])
            continue;
        snprintf(out, size, "%s/%s", dirs[i], file);
        if (stat(out, &st) == 0 && S_ISREG(st.st_mode))
            return 0;
    }
    return -1;
}

static int compare_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The profile table at the top of the stack: its keys sorted, each with default and meaning;
 * returns how many keys have no meaning in about (at index about). */
static int print_profile(lua_State *L, FILE *f, const char *name, int about)
{
    const char *keys[128];
    int n = 0, missing = 0;
    lua_pushnil(L);
    while (lua_next(L, -2) && n < 128) {
        lua_pop(L, 1);
        keys[n++] = lua_tostring(L, -1);
    }
    if (n < 128)
        keys[n++] = "rate"; /* nil by default in some profiles, so not among the keys */
    qsort(keys, (size_t)n, sizeof *keys, compare_str);
    fprintf(f, "%s (deliver.%s(master, stem, {...}), -D %s.KEY=VALUE):\n", name, name, name);
    for (int i = 0; i < n; i++) {
        if (i && strcmp(keys[i], keys[i - 1]) == 0)
            continue;
        lua_getfield(L, -1, keys[i]);
        const char *def = lua_isnil(L, -1) ? "unset" : luaL_tolstring(L, -1, NULL);
        lua_getfield(L, about, keys[i]);
        const char *meaning = lua_tostring(L, -1);
        missing += !meaning;
        fprintf(f, "  %-20s %-10s %s\n", keys[i], def, meaning ? meaning : "(undocumented)");
        lua_settop(L, lua_isnil(L, -2) ? lua_gettop(L) - 2 : lua_gettop(L) - 3);
    }
    return missing;
}

int lathe_lua_print_profiles(FILE *f, const char *only)
{
    char path[PATH_MAX];
    if (lathe_lua_find_chain("deliver.lua", path, sizeof path) != 0) {
        fprintf(stderr, "lathe: no chains/deliver.lua (set LATHE_CHAINS)\n");
        return -1;
    }
    lua_State *L = luaL_newstate();
    if (!L)
        return -1;
    luaL_openlibs(L);
    lathe_lua_open_profiles(L); /* the checked values deliver.lua takes from C */
    /* Loading the module only defines functions and copies the profiles. */
    if (luaL_loadfilex(L, path, "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK ||
        !lua_istable(L, -1)) {
        fprintf(stderr, "lathe: %s: %s\n", path, lua_isstring(L, -1) ? lua_tostring(L, -1)
                                                                     : "not a module table");
        lua_close(L);
        return -1;
    }
    lua_getfield(L, -1, "about");
    int about = lua_gettop(L), missing = 0;
    lua_getfield(L, -2, "profiles");
    for (int i = 0; profile_order[i]; i++) {
        if (only && strcmp(only, profile_order[i]) != 0)
            continue;
        if (lua_getfield(L, -1, profile_order[i]) == LUA_TTABLE)
            missing += print_profile(L, f, profile_order[i], about);
        lua_pop(L, 1);
    }
    lua_close(L);
    return missing ? -1 : 0;
}

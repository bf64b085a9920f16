/* Script-level helpers the bindings share: where in the script a call came from, and the
 * closest global name for "did you mean". Here rather than in l_node.c, so that l_script.c
 * and l_node.c do not lean on each other for them. */
#include "l_private.h"

#include "engine/params.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

void lathe_lua_origin(lua_State *L, char *buf, size_t size)
{
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

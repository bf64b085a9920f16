/* Node userdata and the constructors generated from the registry: `gain{...}` as a global and
 * `x:gain{...}` as a method both come from lathe_node_gain's parameter table. */
#include "l_private.h"

#include "engine/params.h"
#include "nodes/registry.h"

#include <lauxlib.h>
#include <string.h>

#define NODE_MT "lathe.node"

typedef struct lnode {
    lathe_node_id id;
} lnode;

int lathe_lua_graph_error(lua_State *L)
{
    lua_pushstring(L, lathe_graph_error(lathe_lua_ctx(L)->g));
    return lua_error(L);
}

void lathe_lua_push_node(lua_State *L, lathe_node_id id)
{
    lnode *n = lua_newuserdatauv(L, sizeof *n, 0);
    n->id = id;
    luaL_setmetatable(L, NODE_MT);
}

int lathe_lua_check_node(lua_State *L, int idx)
{
    lnode *n = luaL_testudata(L, idx, NODE_MT);
    if (!n) /* the usual cause: a nil from a misspelt variable, or a table instead of a node */
        luaL_argerror(L, idx, lua_pushfstring(L, "expected a node, got %s: pass what a node "
                                                 "constructor or method returned, e.g. "
                                                 "x:gain{gain_db = -1}", luaL_typename(L, idx)));
    return n->id;
}

static int is_node(lua_State *L, int idx)
{
    return luaL_testudata(L, idx, NODE_MT) != NULL;
}

static void set_fields(lua_State *L, const lathe_node_desc *d, const lathe_param *table,
                       void *base, int t);

static void param_error(lua_State *L, const lathe_node_desc *d, const char *msg)
{
    luaL_error(L, "%s: %s", d->name, msg);
}

/* {name = number, ...}: names are checked by the node (they depend on what it hosts). */
static void set_map(lua_State *L, const lathe_node_desc *d, const lathe_param *p, void *base, int v)
{
    char err[LATHE_ERR_MAX];
    if (lua_type(L, v) != LUA_TTABLE)
        param_error(L, d, lua_pushfstring(L, "%s expects a table {name = number, ...}, got %s",
                                          p->name, luaL_typename(L, v)));
    lua_pushnil(L);
    while (lua_next(L, v)) {
        if (lua_type(L, -2) != LUA_TSTRING || !(lua_isnumber(L, -1) || lua_isboolean(L, -1)))
            param_error(L, d, lua_pushfstring(L, "%s expects {name = number, ...}", p->name));
        double x = lua_isboolean(L, -1) ? lua_toboolean(L, -1) : lua_tonumber(L, -1);
        if (lathe_param_put_named(p, base, lua_tostring(L, -2), x, err, sizeof err) != LATHE_OK)
            param_error(L, d, err);
        lua_pop(L, 1);
    }
}

static void set_one(lua_State *L, const lathe_node_desc *d, const lathe_param *p, void *base,
                    int v)
{
    char err[LATHE_ERR_MAX];
    int rc = LATHE_OK;
    int type = lua_type(L, v);
    if (p->type == LATHE_P_MAP) {
        set_map(L, d, p, base, v);
        return;
    }
    if (p->type == LATHE_P_NUMBERS || p->type == LATHE_P_LIST) {
        if (type != LUA_TTABLE) {
            param_error(L, d, lua_pushfstring(L, "%s expects a table, got %s", p->name,
                                              luaL_typename(L, v)));
            return;
        }
        lua_Integer len = luaL_len(L, v);
        for (lua_Integer i = 1; i <= len && rc == LATHE_OK; i++) {
            lua_geti(L, v, i);
            if (p->type == LATHE_P_NUMBERS) {
                if (!lua_isnumber(L, -1))
                    {
                    param_error(L, d, lua_pushfstring(L, "%s[%d] expects a number", p->name, (int)i));
                    return;
                }
                rc = lathe_param_push_number(p, base, lua_tonumber(L, -1), err, sizeof err);
            } else {
                if (!lua_istable(L, -1))
                    {
                    param_error(L, d, lua_pushfstring(L, "%s[%d] expects a table", p->name, (int)i));
                    return;
                }
                void *elem = lathe_param_push_element(p, base, err, sizeof err);
                if (!elem)
                    rc = LATHE_ERR_PARAM;
                else
                    set_fields(L, d, p->fields, elem, lua_gettop(L));
            }
            lua_pop(L, 1);
        }
    } else if (type == LUA_TNUMBER) {
        rc = lathe_param_set_number(p, base, lua_tonumber(L, v), err, sizeof err);
    } else if (type == LUA_TBOOLEAN && p->type == LATHE_P_BOOL) {
        rc = lathe_param_set_number(p, base, lua_toboolean(L, v), err, sizeof err);
    } else if (type == LUA_TSTRING) {
        rc = lathe_param_set_string(p, base, lua_tostring(L, v), err, sizeof err);
    } else {
        snprintf(err, sizeof err, "%s expects %s, got %s", p->name,
                 p->type == LATHE_P_BOOL ? "true or false" : p->type == LATHE_P_ENUM ? "a name" : "a number",
                 luaL_typename(L, v));
        rc = LATHE_ERR_PARAM;
    }
    if (rc != LATHE_OK)
        param_error(L, d, err);
}

/* Fills base from the Lua table at index t. Positional entries fill the table's first LIST
 * parameter (so `x:eq{ {type="bell", ...}, ... }` means bands). */
static void set_fields(lua_State *L, const lathe_node_desc *d, const lathe_param *table,
                       void *base, int t)
{
    const lathe_param *list = NULL;
    for (const lathe_param *p = table; p && p->name; p++)
        if (p->type == LATHE_P_LIST && !list)
            list = p;
    lua_pushnil(L);
    while (lua_next(L, t)) {
        if (lua_type(L, -2) == LUA_TSTRING) {
            const char *key = lua_tostring(L, -2);
            const lathe_param *p = lathe_params_find(table, key);
            if (!p) {
                const char *s = lathe_params_suggest(table, key);
                param_error(L, d, s ? lua_pushfstring(L, "unknown parameter '%s' (did you mean '%s'?)", key, s)
                                    : lua_pushfstring(L, "unknown parameter '%s' (see `lathe help %s`)", key, d->name));
            }
            set_one(L, d, p, base, lua_gettop(L));
        } else if (!list || lua_type(L, -2) != LUA_TNUMBER || !lua_istable(L, -1)) {
            param_error(L, d, "parameters are named: {name = value, ...}");
        }
        lua_pop(L, 1);
    }
    if (list && luaL_len(L, t) > 0) {
        int *count = (int *)((char *)base + list->count_offset);
        if (*count > 0)
            param_error(L, d, lua_pushfstring(L, "give %s either by name or as positional tables, not both", list->name));
        set_one(L, d, list, base, t);
    }
}

/* The node's last input named as a file (match{reference = "ref.wav"}) becomes a source. */
static int add_file_input(lua_State *L, const lathe_node_desc *d, const void *params,
                          lathe_node_id *inputs, int n_in)
{
    const char *path = lathe_param_string(lathe_params_find(d->params, d->file_input), params);
    if (n_in == d->n_inputs && path && *path)
        luaL_error(L, "%s: give the last input either as a node or as %s = \"file\", not both",
                   d->name, d->file_input);
    if (n_in == d->n_inputs - 1) {
        if (!path || !*path)
            luaL_error(L, "%s: %s = \"file.wav\" is required (an audio file, relative to the "
                          "script)", d->name, d->file_input);
        inputs[n_in++] = lathe_lua_add_source(L, path);
    }
    return n_in;
}

/* Constructor: (inputs..., [params]) for the node type in upvalue 1. */
static int construct(lua_State *L)
{
    const lathe_node_desc *d = lua_touserdata(L, lua_upvalueindex(1));
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    int top = lua_gettop(L), n_in = 0;
    lathe_node_id inputs[LATHE_MAX_INPUTS];
    while (n_in < top && n_in < LATHE_MAX_INPUTS && is_node(L, n_in + 1)) {
        inputs[n_in] = lathe_lua_check_node(L, n_in + 1);
        n_in++;
    }
    /* mix{a, b, gains_db = {...}}: inputs may also come as the table's node entries. */
    void *params = lua_newuserdatauv(L, d->params_size ? d->params_size : 1, 0);
    memset(params, 0, d->params_size);
    lathe_params_defaults(d->params, params);
    if (n_in < top) {
        if (!lua_istable(L, n_in + 1) || n_in + 1 != top)
            return luaL_error(L, "%s: expected %s{name = value, ...}", d->name, d->name);
        lua_Integer len = luaL_len(L, top);
        if (d->n_inputs == LATHE_VARIADIC && len > 0) {
            lua_geti(L, top, 1);
            int nodes_given = is_node(L, -1);
            lua_pop(L, 1);
            for (lua_Integer i = 1; nodes_given && i <= len && n_in < LATHE_MAX_INPUTS; i++) {
                lua_geti(L, top, i);
                inputs[n_in++] = lathe_lua_check_node(L, -1);
                lua_pop(L, 1);
            }
            for (lua_Integer i = 1; nodes_given && i <= len; i++) {
                lua_pushnil(L); /* drop the positional entries before setting parameters */
                lua_seti(L, top, i);
            }
        }
        set_fields(L, d, d->params, params, top);
    }
    if (d->file_input)
        n_in = add_file_input(L, d, params, inputs, n_in);
    if (d->n_inputs != LATHE_VARIADIC && n_in != d->n_inputs)
        return luaL_error(L, "%s: takes %d input node%s, got %d", d->name, d->n_inputs,
                          d->n_inputs == 1 ? "" : "s", n_in);
    char origin[512];
    lathe_lua_origin(L, d->name, origin, sizeof origin);
    lathe_node_id id;
    if (lathe_graph_add_node(ctx->g, d, params, inputs, n_in, origin, &id) != LATHE_OK)
        return lathe_lua_graph_error(L);
    lathe_lua_push_node(L, id);
    return 1;
}

/* The closest node type that takes an input (a method on a node), or NULL. */
static const char *suggest_method(const char *name)
{
    lathe_param names[128] = {{0}};
    int n, k = 0;
    const lathe_node_desc *const *all = lathe_registry_all(&n);
    for (int i = 0; i < n && k < 127; i++)
        if (all[i]->n_inputs != 0)
            names[k++].name = all[i]->name;
    return lathe_params_suggest(names, name);
}


static int node_index(lua_State *L)
{
    const char *name = luaL_checkstring(L, 2);
    const lathe_node_desc *d = lathe_registry_find(name);
    if (!d || d->n_inputs == 0) {
        const char *s = suggest_method(name);
        if (s)
            return luaL_error(L, "no node type '%s' (did you mean '%s'?)", name, s);
        return luaL_error(L, "no node type '%s' (`lathe help` lists them)", name);
    }
    lua_pushlightuserdata(L, (void *)d);
    lua_pushcclosure(L, construct, 1);
    return 1;
}

static int node_tostring(lua_State *L)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    int id = lathe_lua_check_node(L, 1);
    lua_pushfstring(L, "lathe node #%d (%s)", id, lathe_graph_node_name(ctx->g, id));
    return 1;
}

void lathe_lua_open_nodes(lua_State *L)
{
    static const luaL_Reg meta[] = {{"__index", node_index}, {"__tostring", node_tostring}, {NULL, NULL}};
    luaL_newmetatable(L, NODE_MT);
    luaL_setfuncs(L, meta, 0);
    lua_pop(L, 1);
    int n;
    const lathe_node_desc *const *all = lathe_registry_all(&n);
    for (int i = 0; i < n; i++) {
        lua_pushlightuserdata(L, (void *)all[i]);
        lua_pushcclosure(L, construct, 1);
        lua_setglobal(L, all[i]->name);
    }
}

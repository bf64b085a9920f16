/* l_private.h - what the files of lua/ share and nothing above them may use: the running
 * script's context and the helpers the bindings call on each other. lathe_lua.h is the public
 * half (running a script, the schemas `lathe help` prints). */
#ifndef LATHE_LUA_PRIVATE_H
#define LATHE_LUA_PRIVATE_H

#include "lathe_lua.h"

/* The running script's context, kept in the Lua registry (l_script.c). */
typedef struct lathe_script_ctx {
    const lathe_script_config *cfg;
    lathe_graph *g;
    char script_dir[4096];
    char out_dir[4096];
    size_t mem_used;
    int n_outputs;
    lua_State *L;
    uint64_t instr, instr_limit; /* VM instructions run (counted by the hook), and the cap */
    int exhausted;               /* the budget is spent: nothing may catch that */
    char where[256];             /* "script.lua:12:" last seen by the hook, for memory errors */
    char chunkname[4096];        /* "@script.lua" as Lua names the script's own chunk */
    char *source;                /* the script's text, to place each node of a chain written
                                  * over several lines (l_where.c); NULL from stdin */
    size_t source_len;
    int chain_line;              /* the line whose chain is being placed, and where its next */
    size_t chain_pos;            /* method call is searched from */
    unsigned char *define_read;  /* per define: some param() read its name */
} lathe_script_ctx;

lathe_script_ctx *lathe_lua_ctx(lua_State *L);
/* l_node.c: the node type, generated constructors. */
void lathe_lua_open_nodes(lua_State *L);
int lathe_lua_check_node(lua_State *L, int idx);
void lathe_lua_push_node(lua_State *L, lathe_node_id id);
/* Raises the graph's last error as it is: given an origin, the graph already named the line. */
int lathe_lua_graph_error(lua_State *L);
/* l_where.c: where the script is, and what it may have meant. */
/* The closest name to `name` among the script's global functions (node constructors, source,
 * param, output, ...) for "did you mean"; NULL when nothing is close. Copies into buf. */
const char *lathe_lua_suggest_global(lua_State *L, const char *name, char *buf, size_t size);
/* "script.lua:12", into buf: the user's script line a node or output comes from (a stock
 * chain's helper is placed at the script line that called it). method: the node type when a
 * node is being made, so a chain written over several lines places each node on its own line;
 * else NULL. */
void lathe_lua_origin(lua_State *L, const char *method, char *buf, size_t size);
/* l_defines.c: param() and the -D values nothing read. */
void lathe_lua_open_defines(lua_State *L);
/* After the script ran: 0 when every -D (but the program's own) was read by a param() call;
 * else writes "-D name=value: nothing reads 'name' (did you mean ...)" into err, returns -1. */
int lathe_lua_unread_define(lua_State *L, char *err, size_t err_size);
/* Raises a Lua error at the script's line when the table at t has a key the schema lacks. */
void lathe_lua_check_keys(lua_State *L, int t, const lathe_lua_schema *s, const char *what);
/* Pushes "script.lua:12: " of the nearest frame of the script itself. */
void lathe_lua_where_script(lua_State *L);
void lathe_lua_open_schema(lua_State *L);
/* The global `spec_profiles` (l_profiles.c): every deliverable profile's numbers from C. */
void lathe_lua_open_profiles(lua_State *L);
/* l_paths.c: path policy. */
int lathe_lua_resolve_input(lathe_script_ctx *ctx, const char *path, char *out, size_t size);
/* A source node for the file at path (resolved as source() does: script folder first, guarded
 * against being overwritten by an output). Raises a Lua error when out of memory. */
lathe_node_id lathe_lua_add_source(lua_State *L, const char *path);
int lathe_lua_resolve_output(lathe_script_ctx *ctx, const char *path, char *out, size_t size,
                             char *why, size_t why_size);

#endif

/* lathe_lua.h - running a chain script: a sandboxed Lua 5.4 state whose node constructors are
 * generated from the registry, building a lathe_graph. */
#ifndef LATHE_LUA_H
#define LATHE_LUA_H

#include "lathe/lathe.h"

#include <lua.h>
#include <stdio.h>

typedef struct lathe_script_config {
    const char *script_path;        /* "-": the script is read from standard input */
    const char *out_dir;            /* outputs resolve here; NULL: current folder */
    const char *const *allow_paths; /* extra folders outputs may be written to */
    int n_allow;
    const char *const *defines;     /* "name=value" from -D */
    int n_defines;
    int n_implicit;                 /* the first n_implicit defines are the program's own
                                       (lathe master's input, stem, ...): they may go unread;
                                       any other define no param() reads is an error */
    size_t mem_limit;               /* bytes; 0: 256 MiB */
    uint64_t instr_limit;           /* VM instructions; 0: 1e8 (about a second) */
} lathe_script_config;

/* Runs the script, adding its nodes and outputs to g. On failure writes a one-line message
 * ("script.lua:12: ...") into err and returns LATHE_ERR_PARAM (LATHE_ERR_IO when the script
 * itself cannot be read). */
int lathe_script_run(const lathe_script_config *cfg, lathe_graph *g, char *err, size_t err_size);

/* Internal to lua/: the running script's context, kept in the Lua registry. */
typedef struct lathe_script_ctx {
    const lathe_script_config *cfg;
    lathe_graph *g;
    char script_dir[4096];
    char out_dir[4096];
    size_t mem_used;
    int n_outputs;
    uint64_t instr, instr_limit; /* VM instructions run (counted by the hook), and the cap */
    char where[256];             /* "script.lua:12:" last seen by the hook, for memory errors */
    char chunkname[4096];        /* "@script.lua" as Lua names the script's own chunk */
    unsigned char *define_read;  /* per define: some param() read its name */
} lathe_script_ctx;

lathe_script_ctx *lathe_lua_ctx(lua_State *L);
/* l_node.c: the node type, generated constructors. */
void lathe_lua_open_nodes(lua_State *L);
int lathe_lua_check_node(lua_State *L, int idx);
/* The closest name to `name` among the script's global functions (node constructors, source,
 * param, output, ...) for "did you mean"; NULL when nothing is close. Copies into buf. */
const char *lathe_lua_suggest_global(lua_State *L, const char *name, char *buf, size_t size);
void lathe_lua_push_node(lua_State *L, lathe_node_id id);
/* "script.lua:12" of the calling Lua line, into buf. */
void lathe_lua_origin(lua_State *L, char *buf, size_t size);
/* l_defines.c: param() and the -D values nothing read. */
void lathe_lua_open_defines(lua_State *L);
/* After the script ran: 0 when every -D (but the program's own) was read by a param() call;
 * else writes "-D name=value: nothing reads 'name' (did you mean ...)" into err, returns -1. */
int lathe_lua_unread_define(lua_State *L, char *err, size_t err_size);
/* l_schema.c: the names a script may use besides node parameters, one table per place
 * (output options, tags, album fields), read by the checks and by `lathe help`. */
typedef struct lathe_lua_key {
    const char *name, *type, *def, *help; /* for the API table: name, signature, "", help */
} lathe_lua_key;
typedef struct lathe_lua_schema {
    const char *name, *title;
    const lathe_lua_key *keys; /* NULL name ends */
} lathe_lua_schema;
const lathe_lua_schema *lathe_lua_schema_find(const char *name);
void lathe_lua_schema_print(const lathe_lua_schema *s, FILE *f);
/* Raises a Lua error at the script's line when the table at t has a key the schema lacks. */
void lathe_lua_check_keys(lua_State *L, int t, const lathe_lua_schema *s, const char *what);
/* Pushes "script.lua:12: " of the nearest frame of the script itself. */
void lathe_lua_where_script(lua_State *L);
/* The script API function `name` (source, output, param, format, ...): signature in ->type. */
const lathe_lua_key *lathe_lua_api_doc(const char *name);
void lathe_lua_open_schema(lua_State *L);
/* The global `spec_profiles` (l_profiles.c): every deliverable profile's numbers from C. */
void lathe_lua_open_profiles(lua_State *L);
/* Prints the deliverable profiles of chains/deliver.lua (every key, its default and meaning);
 * returns 0, or -1 after printing why the module could not be read. */
int lathe_lua_print_profiles(FILE *f, const char *only);
/* A stock chain file ("master.lua") in $LATHE_CHAINS, the source tree's chains/ or the
 * installed ones: 0 with its path in out, -1 when none is there. */
int lathe_lua_find_chain(const char *file, char *out, size_t size);
/* l_paths.c: path policy. */
int lathe_lua_resolve_input(lathe_script_ctx *ctx, const char *path, char *out, size_t size);
/* A source node for the file at path (resolved as source() does: script folder first, guarded
 * against being overwritten by an output). Raises a Lua error when out of memory. */
lathe_node_id lathe_lua_add_source(lua_State *L, const char *path);
int lathe_lua_resolve_output(lathe_script_ctx *ctx, const char *path, char *out, size_t size,
                             char *why, size_t why_size);

#endif

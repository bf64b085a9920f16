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
    double cpu_limit_s;             /* > 0: the process ends (exit 2, one line on stderr) when
                                       running the script takes more processor time than this,
                                       e.g. inside one long C call; 0: no watchdog */
} lathe_script_config;

/* Runs the script, adding its nodes and outputs to g. On failure writes a one-line message
 * ("script.lua:12: ...") into err and returns LATHE_ERR_PARAM (LATHE_ERR_IO when the script
 * itself cannot be read). */
int lathe_script_run(const lathe_script_config *cfg, lathe_graph *g, char *err, size_t err_size);

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
/* The script API function `name` (source, output, param, format, ...): signature in ->type. */
const lathe_lua_key *lathe_lua_api_doc(const char *name);
/* Prints the deliverable profiles of chains/deliver.lua (every key, its default and meaning);
 * returns 0, or -1 after printing why the module could not be read. */
int lathe_lua_print_profiles(FILE *f, const char *only);
/* A stock chain file ("master.lua") in $LATHE_CHAINS, the source tree's chains/ or the
 * installed ones: 0 with its path in out, -1 when none is there. */
int lathe_lua_find_chain(const char *file, char *out, size_t size);

#endif

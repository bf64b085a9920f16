/* The script's world: a sandboxed Lua 5.4 state with a memory cap and an instruction budget,
 * `param`, `source`, `output`, a `require` limited to Lua files beside the script and in
 * chains/, and the generated node constructors. */
#define _XOPEN_SOURCE 700
#include "l_private.h"
#include "l_budget.h"

#include <lauxlib.h>
#include <lualib.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static const char CTX_KEY = 'k';
static const char FILES_KEY = 'f'; /* "dev:inode" -> "source" | "output" */

lathe_script_ctx *lathe_lua_ctx(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
    lathe_script_ctx *ctx = lua_touserdata(L, -1);
    lua_pop(L, 1);
    return ctx;
}

#define ALLOC_BYTES_PER_INSTR 16

static void *capped_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    lathe_script_ctx *ctx = ud;
    size_t limit = ctx->cfg->mem_limit ? ctx->cfg->mem_limit : (size_t)256 << 20;
    size_t old = ptr ? osize : 0;
    if (nsize == 0) {
        lathe_dealloc(ptr);
        ctx->mem_used -= old;
        return NULL;
    }
    if (nsize > old && ctx->mem_used + (nsize - old) > limit)
        return NULL; /* Lua raises "not enough memory" at the script line */
    void *p = lathe_realloc(ptr, nsize); /* the engine's hook: fault tests reach the script */
    if (p) {
        ctx->mem_used = ctx->mem_used - old + nsize;
        /* Filling memory is work no VM instruction counts: a loop of string.rep("x", 1 << 20)
         * runs few instructions and fills gigabytes. Every 16 bytes asked for is charged as one
         * instruction, so the budget ends such loops too (the default budget then allows 1.6 GB
         * of allocation over a script's life; a whole album's chain uses a few MB). */
        if (nsize > old)
            lathe_lua_budget_charge(ctx, (nsize - old) / ALLOC_BYTES_PER_INSTR);
    }
    return p;
}

/* warn() from scripts and chains (album notes, Red Book warnings) goes to stderr, always on. */
static void warn_to_stderr(void *ud, const char *msg, int tocont)
{
    static int continuing;
    (void)ud;
    if (!continuing && msg[0] == '@')
        return; /* "@on" / "@off" control messages */
    fprintf(stderr, "%s%s%s", continuing ? "" : "lathe: warning: ", msg, tocont ? "" : "\n");
    continuing = tocont;
}

/* An output must never replace an input (the only copy of someone's mix): files are compared by
 * device and inode, so another spelling, `..` or a link to the same file is caught too, before
 * anything is rendered. A file not there yet cannot be an input. */
static void guard_file(lua_State *L, const char *path, const char *role, const char *shown)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return;
    char id[64];
    snprintf(id, sizeof id, "%llu:%llu", (unsigned long long)st.st_dev,
             (unsigned long long)st.st_ino);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &FILES_KEY);
    if (lua_getfield(L, -1, id) == LUA_TSTRING && strcmp(lua_tostring(L, -1), role) != 0)
        luaL_error(L, "output %s is an input of this script: refusing to overwrite a source", shown);
    lua_pop(L, 1);
    lua_pushstring(L, role);
    lua_setfield(L, -2, id);
    lua_pop(L, 1);
}

lathe_node_id lathe_lua_add_source(lua_State *L, const char *path)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    char resolved[PATH_MAX], origin[512];
    lathe_lua_resolve_input(ctx, path, resolved, sizeof resolved);
    guard_file(L, resolved, "source", path);
    lathe_lua_origin(L, NULL, origin, sizeof origin);
    lathe_node_id id;
    if (lathe_graph_add_source(ctx->g, resolved, origin, &id) != LATHE_OK)
        luaL_error(L, "source: out of memory");
    return id;
}

static int l_source(lua_State *L)
{
    lathe_lua_push_node(L, lathe_lua_add_source(L, luaL_checkstring(L, 1)));
    return 1;
}

static const char *opt_string(lua_State *L, int t, const char *key)
{
    if (lua_getfield(L, t, key) == LUA_TNIL) {
        lua_pop(L, 1);
        return NULL;
    }
    const char *s = lua_tostring(L, -1);
    if (!s)
        luaL_error(L, "output: %s expects a string", key);
    lua_pop(L, 1); /* the string stays alive in the table */
    return s;
}

static int compare_tag(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Memory the graph keeps on the C side for the script (text bodies, tags) counts toward the same
 * cap as the Lua heap: otherwise eight 100 MB texts pass a 256 MiB limit. */
static void charge(lua_State *L, size_t bytes)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    size_t limit = ctx->cfg->mem_limit ? ctx->cfg->mem_limit : (size_t)256 << 20;
    if (bytes > limit || ctx->mem_used > limit - bytes)
        luaL_error(L, "script memory limit of %d MiB reached (a runaway script?)", (int)(limit >> 20));
    ctx->mem_used += bytes;
}

/* Adds the name = value pairs of the table at t (but `extra`) to tags; converted values are
 * kept alive in the anchor table. */
static int add_tags(lua_State *L, int t, int anchor, const char **tags, int n, int max)
{
    lua_pushnil(L);
    while (n + 2 <= max && lua_next(L, t)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            luaL_error(L, "output: tags are name = value pairs");
        const char *k = lua_tostring(L, -2);
        if (strcasecmp(k, "extra") == 0 && strcmp(k, "extra") != 0)
            luaL_error(L, "output: tags: write extra = {...} in lower case");
        if (strcmp(k, "extra") == 0 && lua_type(L, -1) == LUA_TTABLE) {
            lua_pop(L, 1);
            continue;
        }
        tags[n++] = lua_tostring(L, -2);
        tags[n++] = luaL_tolstring(L, -1, NULL);
        lua_rawseti(L, anchor, n / 2);
        lua_pop(L, 1);
    }
    return n;
}

/* Tags as key, value, ... sorted by key (so files do not depend on Lua's table order): the
 * well-known keys (schema "tags"), then the free-form ones under extra = {...}. The strings
 * stay alive in a table at the top of the stack until output() returns. */
static void collect_tags(lua_State *L, int t, const char **tags, int max)
{
    lathe_lua_check_keys(L, t, lathe_lua_schema_find("tags"), "output: tags");
    lua_newtable(L); /* anchor for converted strings */
    int anchor = lua_gettop(L);
    int n = add_tags(L, t, anchor, tags, 0, max);
    if (lua_getfield(L, t, "extra") == LUA_TTABLE) {
        lua_insert(L, anchor); /* the extra table stays alive below the anchor */
        anchor = lua_gettop(L);
        n = add_tags(L, anchor - 1, anchor, tags, n, max);
    } else if (!lua_isnil(L, -1)) {
        luaL_error(L, "output: tags.extra expects a table {NAME = value}");
    } else {
        lua_pop(L, 1);
    }
    qsort(tags, (size_t)n / 2, 2 * sizeof *tags, compare_tag);
    size_t bytes = 0;
    for (int i = 0; i < n; i++)
        bytes += strlen(tags[i]) + 1;
    charge(L, bytes);
    lua_insert(L, t); /* keep the anchor below the tags table, which the caller pops */
}

/* output(node, path [, {bits=, bitrate_kbps=, format=, deliverable=, tags={k=v},
 * md5="CHECKSUM.MD5"}]) */
static int l_output(lua_State *L)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    int node = lathe_lua_check_node(L, 1);
    const char *path = luaL_checkstring(L, 2);
    lathe_output_config cfg = {0};
    const char *tags[66] = {0};
    if (!lua_isnoneornil(L, 3)) {
        luaL_checktype(L, 3, LUA_TTABLE);
        lathe_lua_check_keys(L, 3, lathe_lua_schema_find("output"), "output");
        if (lua_getfield(L, 3, "bits") != LUA_TNIL) {
            cfg.bits = (int)luaL_checkinteger(L, -1);
            if (cfg.bits != 16 && cfg.bits != 24 && cfg.bits != 32)
                return luaL_error(L, "output: bits must be 16, 24 or 32, got %d", cfg.bits);
        }
        lua_pop(L, 1);
        if (lua_getfield(L, 3, "bitrate_kbps") != LUA_TNIL)
            cfg.bitrate_kbps = (int)luaL_checkinteger(L, -1);
        lua_pop(L, 1);
        cfg.format = opt_string(L, 3, "format");
        cfg.deliverable = opt_string(L, 3, "deliverable");
        cfg.md5 = opt_string(L, 3, "md5");
        if (lua_getfield(L, 3, "tags") == LUA_TTABLE)
            collect_tags(L, lua_gettop(L), tags, 64);
        lua_pop(L, 1);
    }
    cfg.tags = tags;
    char resolved[PATH_MAX], why[PATH_MAX + 128], origin[512];
    if (lathe_lua_resolve_output(ctx, path, resolved, sizeof resolved, why, sizeof why) != LATHE_OK)
        return luaL_error(L, "output: %s", why);
    guard_file(L, resolved, "output", path);
    char md5[PATH_MAX]; /* a checksum file follows the same path rules as the output */
    if (cfg.md5) {
        if (lathe_lua_resolve_output(ctx, cfg.md5, md5, sizeof md5, why, sizeof why) != LATHE_OK)
            return luaL_error(L, "output: md5: %s", why);
        guard_file(L, md5, "output", cfg.md5);
        cfg.md5 = md5;
    }
    lathe_lua_origin(L, NULL, origin, sizeof origin);
    if (lathe_graph_add_output(ctx->g, node, resolved, &cfg, origin) != LATHE_OK)
        return lathe_lua_graph_error(L);
    ctx->n_outputs++;
    return 0;
}

/* output_text(path, text): a text file (CUE sheet, side sheet) written when the render succeeds. */
static int l_output_text(lua_State *L)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    char resolved[PATH_MAX], why[PATH_MAX + 128], origin[512];
    if (lathe_lua_resolve_output(ctx, path, resolved, sizeof resolved, why, sizeof why) != LATHE_OK)
        return luaL_error(L, "output_text: %s", why);
    guard_file(L, resolved, "output", path);
    charge(L, len);
    lathe_lua_origin(L, NULL, origin, sizeof origin);
    if (lathe_graph_add_text_output(ctx->g, resolved, text, len, origin) != LATHE_OK)
        return lathe_lua_graph_error(L);
    return 0;
}

/* format(node) -> {rate =, channels =, frames =}: what the node will produce. */
static int l_format(lua_State *L)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    int node = lathe_lua_check_node(L, 1);
    lathe_format fmt;
    if (lathe_graph_node_format(ctx->g, node, &fmt) != LATHE_OK)
        return luaL_error(L, "%s", lathe_graph_error(ctx->g));
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, fmt.rate);
    lua_setfield(L, -2, "rate");
    lua_pushinteger(L, fmt.channels);
    lua_setfield(L, -2, "channels");
    lua_pushinteger(L, (lua_Integer)fmt.frames);
    lua_setfield(L, -2, "frames");
    return 1;
}

/* A file that is running - the script, or a module still loading - is never its own module:
 * album.lua doing require("album") means chains/album.lua, not itself. */
static int is_loading(lua_State *L, const lathe_script_ctx *ctx, const char *path, char *real)
{
    char b[PATH_MAX];
    if (!realpath(path, real))
        return 0;
    if (realpath(ctx->cfg->script_path, b) && strcmp(real, b) == 0)
        return 1;
    int busy = lua_getfield(L, LUA_REGISTRYINDEX, real) != LUA_TNIL;
    lua_pop(L, 1);
    return busy;
}

/* require(name): a Lua file beside the script, then in chains/. Text only, sandboxed. */
static int l_require(lua_State *L)
{
    lathe_script_ctx *ctx = lathe_lua_ctx(L);
    const char *name = luaL_checkstring(L, 1);
    if (strstr(name, "..") || strchr(name, '/'))
        return luaL_error(L, "require: '%s' is not a module name", name);
    lua_getfield(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
    if (lua_getfield(L, -1, name) != LUA_TNIL)
        return 1;
    lua_pop(L, 1);
    const char *dirs[] = {ctx->script_dir, getenv("LATHE_CHAINS"), LATHE_CHAINS_DIR,
                          LATHE_INSTALLED_CHAINS_DIR};
    char path[PATH_MAX];
    struct stat st;
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!dirs[i])
            continue;
        snprintf(path, sizeof path, "%s/%s.lua", dirs[i], name);
        for (char *p = path + strlen(dirs[i]) + 1; *p; p++)
            if (*p == '.' && strcmp(p, ".lua") != 0)
                *p = '/';
        char real[PATH_MAX];
        if (stat(path, &st) != 0 || is_loading(L, ctx, path, real))
            continue;
        if (luaL_loadfilex(L, path, "t") != LUA_OK)
            return lua_error(L);
        lua_pushboolean(L, 1);
        lua_setfield(L, LUA_REGISTRYINDEX, real); /* loading (an error ends the script anyway) */
        lua_pushstring(L, name);
        lua_call(L, 1, 1);
        lua_pushnil(L);
        lua_setfield(L, LUA_REGISTRYINDEX, real);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            lua_pushboolean(L, 1);
        }
        lua_pushvalue(L, -1);
        lua_setfield(L, -3, name);
        return 1;
    }
    return luaL_error(L, "require: no module '%s' beside the script or in chains/", name);
}

/* print() writes to stderr: stdout carries `--json` and the summary. */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        size_t len;
        const char *s = luaL_tolstring(L, i, &len);
        if (i > 1)
            fputc('\t', stderr);
        fwrite(s, 1, len, stderr);
        lua_pop(L, 1);
    }
    fputc('\n', stderr);
    return 0;
}

static void open_sandbox(lua_State *L)
{
    static const luaL_Reg libs[] = {{LUA_GNAME, luaopen_base}, {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_STRLIBNAME, luaopen_string}, {LUA_MATHLIBNAME, luaopen_math},
                                    {LUA_UTF8LIBNAME, luaopen_utf8}, {NULL, NULL}};
    for (const luaL_Reg *l = libs; l->func; l++) {
        luaL_requiref(L, l->name, l->func, 1);
        lua_pop(L, 1);
    }
    /* No file access, no bytecode, no way around the sandbox. */
    static const char *const removed[] = {"dofile", "loadfile", "load", "collectgarbage", NULL};
    for (int i = 0; removed[i]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
    static const luaL_Reg api[] = {{"source", l_source}, {"output", l_output},
                                   {"require", l_require},
                                   {"output_text", l_output_text}, {"format", l_format},
                                   {"print", l_print}, {NULL, NULL}};
    lua_pushglobaltable(L);
    luaL_setfuncs(L, api, 0);
    lua_pop(L, 1);
    lathe_lua_open_nodes(L);
    lathe_lua_open_schema(L);
}

/* "name.lua:12: ..." already says where; anything else (error(nil), error({}), a chain's
 * error(msg, 0)) gets the script's nearest line in front. */
static int locate_error(lua_State *L)
{
    const char *msg = lua_type(L, 1) == LUA_TSTRING ? lua_tostring(L, 1) : NULL;
    const char *colon = msg ? strchr(msg, ':') : NULL;
    if (colon && colon[1] >= '0' && colon[1] <= '9' && !memchr(msg, ' ', (size_t)(colon - msg)))
        return 1;
    lathe_lua_where_script(L);
    if (msg)
        lua_pushvalue(L, 1);
    else if (lua_isnil(L, 1))
        lua_pushliteral(L, "error() called without a message");
    else if (luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL)
        lua_pop(L, 1), luaL_tolstring(L, 1, NULL);
    else
        lua_pushfstring(L, "error() called with a %s, not a message", luaL_typename(L, 1));
    lua_concat(L, 2);
    return 1;
}

static void dir_of(const char *path, char *out, size_t size)
{
    char abs[PATH_MAX];
    if (!realpath(path, abs))
        snprintf(abs, sizeof abs, "%s", path);
    snprintf(out, size, "%s", abs);
    char *slash = strrchr(out, '/');
    if (slash)
        *(slash == out ? slash + 1 : slash) = 0;
    else
        snprintf(out, size, ".");
}

/* Lua's own messages name the symptom; add what a person should check. */
static void add_hint(lua_State *L, char *err, size_t size)
{
    static const char call_nil[] = "attempt to call a nil value (global '";
    const char *p = strstr(err, call_nil);
    size_t len = strlen(err);
    if (p) {
        char name[64], buf[64];
        const char *q = p + sizeof call_nil - 1, *e = strchr(q, '\'');
        snprintf(name, sizeof name, "%.*s", e ? (int)(e - q) : 0, q);
        const char *s = lathe_lua_suggest_global(L, name, buf, sizeof buf);
        if (s)
            snprintf(err + len, size - len, ": no function '%s' (did you mean '%s'?)", name, s);
        else
            snprintf(err + len, size - len, ": no function '%s' (`lathe help` lists the nodes)",
                     name);
    } else if (strstr(err, "attempt to index a nil value")) {
        snprintf(err + len, size - len, ": the value before '.' or ':' is nil (a misspelt "
                                        "variable, or something that returned nothing)");
    }
}

/* The whole file (malloc'd, NUL-terminated), or NULL. */
static char *read_text(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n = -1;
    if (f && fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n + 1)) && fread(buf, 1, (size_t)n, f) == (size_t)n) {
        buf[n] = 0;
        *len = (size_t)n;
    } else {
        free(buf);
        buf = NULL;
    }
    if (f)
        fclose(f);
    return buf;
}

int lathe_script_run(const lathe_script_config *cfg, lathe_graph *g, char *err, size_t err_size)
{
    lathe_script_ctx ctx = {.cfg = cfg, .g = g};
    struct stat st;
    int from_stdin = strcmp(cfg->script_path, "-") == 0;
    if (!from_stdin && (stat(cfg->script_path, &st) != 0 || !S_ISREG(st.st_mode))) {
        snprintf(err, err_size, "%s: cannot read the script", cfg->script_path);
        return LATHE_ERR_IO;
    }
    if (from_stdin) /* modules and sources resolve from the current folder */
        dir_of("./-", ctx.script_dir, sizeof ctx.script_dir);
    else
        dir_of(cfg->script_path, ctx.script_dir, sizeof ctx.script_dir);
    snprintf(ctx.chunkname, sizeof ctx.chunkname, from_stdin ? "=stdin" : "@%s", cfg->script_path);
    ctx.define_read = calloc((size_t)cfg->n_defines + 1, 1);
    if (!ctx.define_read) {
        snprintf(err, err_size, "out of memory");
        return LATHE_ERR_NOMEM;
    }
    if (!realpath(cfg->out_dir ? cfg->out_dir : ".", ctx.out_dir)) {
        snprintf(err, err_size, "%s: output folder does not exist", cfg->out_dir);
        return LATHE_ERR_IO;
    }
    lua_State *L = ctx.L = lua_newstate(capped_alloc, &ctx);
    if (!L) {
        snprintf(err, err_size, "out of memory starting Lua");
        free(ctx.define_read);
        return LATHE_ERR_NOMEM;
    }
    lua_setwarnf(L, warn_to_stderr, NULL);
    if (!from_stdin)
        ctx.source = read_text(cfg->script_path, &ctx.source_len); /* NULL: lines as Lua says */
    lua_pushlightuserdata(L, &ctx);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &CTX_KEY);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &FILES_KEY);
    open_sandbox(L);
    lathe_lua_open_defines(L);
    lathe_lua_budget_start(L, &ctx);
    int rc = LATHE_OK, lrc = luaL_loadfilex(L, from_stdin ? NULL : cfg->script_path, "t");
    if (lrc == LUA_OK) {
        lua_pushcfunction(L, locate_error);
        lua_insert(L, -2);
        lrc = lua_pcall(L, 0, 0, -2);
    }
    if (lrc == LUA_OK && lathe_lua_unread_define(L, err, err_size))
        rc = LATHE_ERR_PARAM;
    if (lrc == LUA_ERRMEM) {
        size_t limit = cfg->mem_limit ? cfg->mem_limit : (size_t)256 << 20;
        snprintf(err, err_size, "%s script memory limit of %zu MiB reached (a runaway script?)",
                 ctx.where[0] ? ctx.where : cfg->script_path, limit >> 20);
        rc = LATHE_ERR_PARAM;
    } else if (lrc != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        snprintf(err, err_size, "%s", msg ? msg : "script error");
        add_hint(L, err, err_size);
        rc = LATHE_ERR_PARAM;
    }
    if (ctx.exhausted) /* finalizers cannot be caught and quiet, but their warnings are noise */
        lua_setwarnf(L, NULL, NULL);
    lua_close(L);
    lathe_lua_budget_stop(&ctx);
    if (rc == LATHE_OK && ctx.exhausted) {
        snprintf(err, err_size, "%s: instruction budget exhausted while closing the script",
                 cfg->script_path);
        rc = LATHE_ERR_PARAM;
    }
    free(ctx.define_read);
    free(ctx.source);
    return rc;
}

/* The names a script may use besides node parameters: output() options, tag keys, album{}
 * fields, and the script API's functions. One table each, read by the checks (an unknown key is
 * an error with "did you mean") and by `lathe help output|album|source|...`, so the
 * documentation and the checks cannot drift apart. */
#include "l_private.h"

#include "engine/params.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const lathe_lua_key output_keys[] = {
    {"bits", "integer", "24", "word length: 16, 24 (integer) or 32 (float, WAV); not for lossy"},
    {"bitrate_kbps", "integer", "per codec", "lossy: MP3 32-320 (320), Opus 6-256 per channel "
                                             "(80), Vorbis nominal 64-500 (256)"},
    {"format", "string", "from the extension", "container: wav, aiff, flac, mp3, opus, ogg (the "
                                               "path's extension decides when absent)"},
    {"deliverable", "string", "none", "spec the written file must meet, with any changed value: "
                                      "\"cd\", \"cd:ceiling_dbtp=-1\" (`lathe help deliver`); "
                                      "judged after the render, exit 1 when it fails"},
    {"md5", "string", "none", "also write an md5sum line of the file to this path (DDP)"},
    {"tags", "table", "none", "metadata: the keys of `lathe help tags`; free-form keys go under "
                              "tags.extra = {KEY = value}"},
    {NULL, NULL, NULL, NULL},
};

/* Vorbis comment names (FLAC); WAV and AIFF keep the ones libsndfile has a field for. */
static const lathe_lua_key tag_keys[] = {
    {"title", "string", "", "track title (WAV INFO too)"},
    {"artist", "string", "", "track artist (WAV INFO too)"},
    {"album", "string", "", "album title (WAV INFO too)"},
    {"albumartist", "string", "", "album artist"},
    {"date", "string", "", "release date, YYYY or YYYY-MM-DD (WAV INFO too)"},
    {"genre", "string", "", "genre (WAV INFO too)"},
    {"isrc", "string", "", "ISRC of the recording, CC-XXX-YY-NNNNN"},
    {"barcode", "string", "", "UPC/EAN of the release"},
    {"comment", "string", "", "free text (WAV INFO too)"},
    {"tracknumber", "string", "", "track number (WAV INFO too)"},
    {"tracktotal", "string", "", "number of tracks"},
    {"discnumber", "string", "", "disc number"},
    {"disctotal", "string", "", "number of discs"},
    {"composer", "string", "", "composer"},
    {"performer", "string", "", "performer"},
    {"copyright", "string", "", "copyright line (WAV INFO too)"},
    {"label", "string", "", "record label"},
    {"lyrics", "string", "", "lyrics"},
    {"software", "string", "", "encoding software (WAV INFO too)"},
    {"extra", "table", "", "free-form keys, written as given: extra = {MOOD = \"calm\"}"},
    {NULL, NULL, NULL, NULL},
};

static const lathe_lua_key album_keys[] = {
    {"title", "string", "\"album\"", "album title: CUE TITLE, DDP, tags, file names"},
    {"artist", "string", "none", "album artist: CUE PERFORMER, tags"},
    {"upc", "string", "none", "UPC-A or EAN-13 (check digit verified): CUE CATALOG, DDP"},
    {"date", "string", "none", "release date (tags)"},
    {"tracks", "table", "required", "the tracks in order (`lathe help album` lists their fields)"},
    {"loudness", "string", "\"album\"", "\"album\": one gain, loudest track at target_lufs; "
                                        "\"track\": each at target; \"none\""},
    {"target_lufs", "number", "-14", "loudness target of loudness = album/track"},
    {"crossfade_curve", "string", "\"equal_gain\"", "\"equal_gain\" or \"equal_power\""},
    {"vinyl", "table", "none", "vinyl sides: {speed = 33, size = 12, sides = {{1, 2}, {3}}}"},
    {"chain", "function", "20 Hz high-pass", "function(node) return node:... end, per track"},
    {"deliver", "table", "{cd, ddp, streaming, vinyl}", "what to write"},
    {"dither", "boolean", "true", "false: no TPDF dither on the CD image"},
    {"strict", "boolean", "false", "warnings (past 74:30, long sides) become errors"},
    {"stem", "string", "the title", "file name stem of the CD image and vinyl sides"},
    {"rate", "number", "highest track rate", "album sample rate (tracks resampled to it)"},
    {"master_id", "string", "the title", "DDP master identifier (DDPID, 48 characters)"},
    {NULL, NULL, NULL, NULL},
};

static const lathe_lua_key track_keys[] = {
    {"file", "string", "required", "the track's audio file (or node = a node of the script)"},
    {"node", "node", "none", "a node built in the script instead of a file"},
    {"title", "string", "none", "track title: CUE, tags, streaming file name"},
    {"artist", "string", "album artist", "track artist"},
    {"isrc", "string", "none", "ISRC (checked): CUE, DDP PQ, tags"},
    {"gain_db", "number", "0", "gain before album loudness"},
    {"gap_s", "number", "0", "silence before the track (whole CD sectors)"},
    {"crossfade_s", "number", "0", "overlap with the previous track's end"},
    {"fade_in_ms", "number", "0", "fade in"},
    {"fade_out_ms", "number", "0", "fade out"},
    {"chain", "function", "the album's chain", "this track's own chain"},
    {NULL, NULL, NULL, NULL},
};

static const lathe_lua_key vinyl_keys[] = {
    {"speed", "number", "33", "33 or 45 rpm (side length rules)"},
    {"size", "number", "12", "7, 10 or 12 inch"},
    {"sides", "table", "none", "track numbers per side: {{1, 2}, {3}}"},
    {NULL, NULL, NULL, NULL},
};

static const lathe_lua_schema schemas[] = {
    {"output", "output(node, path, {...}) options", output_keys},
    {"tags", "output(..., {tags = {...}}) keys", tag_keys},
    {"album", "album{...} fields (require(\"album\"))", album_keys},
    {"album.track", "album{tracks = {{...}, ...}} fields of one track", track_keys},
    {"album.vinyl", "album{vinyl = {...}} fields", vinyl_keys},
    {NULL, NULL, NULL},
};

const lathe_lua_schema *lathe_lua_schema_find(const char *name)
{
    for (const lathe_lua_schema *s = schemas; s->name; s++)
        if (strcmp(s->name, name) == 0)
            return s;
    return NULL;
}

void lathe_lua_schema_print(const lathe_lua_schema *s, FILE *f)
{
    fprintf(f, "%s:\n", s->title);
    for (const lathe_lua_key *k = s->keys; k->name; k++)
        fprintf(f, "  %-16s %-9s default %-20s %s\n", k->name, k->type, k->def[0] ? k->def : "-",
                k->help);
}

/* Names as a lathe_param table for lathe_params_suggest. */
static const char *closest(const char *const *names, int n, const char *name)
{
    lathe_param t[257] = {{0}};
    for (int i = 0; i < n && i < 256; i++)
        t[i].name = names[i];
    return lathe_params_suggest(t, name);
}

/* "script.lua:12: " of the nearest caller in the script itself (not in a chains/ module), so an
 * error about album{...} points at the user's line; level 1 when the script is not on the
 * stack. Pushes the string. */
void lathe_lua_where_script(lua_State *L)
{
    const lathe_script_ctx *ctx = lathe_lua_ctx(L);
    lua_Debug ar;
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sl", &ar) || ar.currentline <= 0)
            continue;
        if (strcmp(ar.source, ctx->chunkname) == 0) {
            luaL_where(L, level);
            return;
        }
    }
    luaL_where(L, 1);
}

/* Raises "<where>what: unknown key 'k' (did you mean 'x'?; keys: a, b, ...)". */
static void unknown_key(lua_State *L, const char *what, const char *key, const char *const *names,
                        int n)
{
    luaL_Buffer b;
    const char *s = closest(names, n, key);
    lathe_lua_where_script(L);
    luaL_buffinit(L, &b);
    lua_insert(L, -2);
    luaL_addvalue(&b);
    luaL_addstring(&b, what);
    luaL_addstring(&b, ": unknown key '");
    luaL_addstring(&b, key);
    luaL_addstring(&b, "'");
    if (s) {
        luaL_addstring(&b, " (did you mean '");
        luaL_addstring(&b, s);
        luaL_addstring(&b, "'?)");
    }
    luaL_addstring(&b, "; known: ");
    for (int i = 0; i < n; i++) {
        luaL_addstring(&b, names[i]);
        if (i + 1 < n)
            luaL_addstring(&b, ", ");
    }
    luaL_pushresult(&b);
    lua_error(L);
}

/* Every string key of the table at t must be in names (compared case-insensitively when
 * nocase: tag names are case-insensitive); a non-string key is an error too. */
static void check_names(lua_State *L, int t, const char *what, const char *const *names, int n,
                        int nocase)
{
    lua_pushnil(L);
    while (lua_next(L, t)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            if (lua_isinteger(L, -1))
                continue; /* list part (album tracks, EQ bands): not a key */
            luaL_error(L, "%s: keys are names", what);
        }
        const char *k = lua_tostring(L, -1);
        int found = 0;
        for (int i = 0; i < n && !found; i++)
            found = nocase ? strcasecmp(k, names[i]) == 0 : strcmp(k, names[i]) == 0;
        if (!found)
            unknown_key(L, what, k, names, n);
    }
}

void lathe_lua_check_keys(lua_State *L, int t, const lathe_lua_schema *s, const char *what)
{
    const char *names[64];
    int n = 0;
    for (const lathe_lua_key *k = s->keys; k->name && n < 64; k++)
        names[n++] = k->name;
    check_names(L, lua_absindex(L, t), what, names, n, strcmp(s->name, "tags") == 0);
}

/* check_keys(table, schema_name | {name, ...}, what): for chains (album.lua, deliver.lua). */
static int l_check_keys(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    const char *what = luaL_optstring(L, 3, "options");
    if (lua_type(L, 2) == LUA_TSTRING) {
        const lathe_lua_schema *s = lathe_lua_schema_find(lua_tostring(L, 2));
        if (!s)
            return luaL_error(L, "check_keys: no schema '%s'", lua_tostring(L, 2));
        lathe_lua_check_keys(L, 1, s, what);
        return 0;
    }
    luaL_checktype(L, 2, LUA_TTABLE);
    const char *names[256];
    int n = 0;
    for (lua_Integer i = 1; n < 256 && lua_rawgeti(L, 2, i) == LUA_TSTRING; i++) {
        names[n++] = lua_tostring(L, -1); /* kept alive by the list */
        lua_pop(L, 1);
    }
    lua_pop(L, 1);
    check_names(L, 1, what, names, n, 0);
    return 0;
}

/* The script API: the globals besides node constructors. `lathe help source` etc. print these. */
static const lathe_lua_key api_doc[] = {
    {"source", "source(path)", "",
     "decodes an audio file (WAV, FLAC, AIFF, OGG, ...; anything libsndfile reads) as float, "
     "overs kept; a path is relative to the script's folder; its cache key is the file's bytes"},
    {"output", "output(node, path [, {options}])", "",
     "writes node to path inside -o (temp file renamed when complete); options: `lathe help "
     "output`"},
    {"param", "param(name, default)", "",
     "the value of -D name=value, converted to the default's type (number, boolean, string); "
     "the default when absent. A -D that no param() reads is an error (exit 2)"},
    {"format", "format(node)", "",
     "{rate =, channels =, frames =}: what the node will produce, known before rendering"},
    {"output_text", "output_text(path, text)", "",
     "a text file (CUE sheet, side sheet) written when the render succeeds"},
    {"require", "require(name)", "",
     "a Lua module beside the script, then in $LATHE_CHAINS, the source tree's or the "
     "installed chains/ (deliver, album)"},
    {"check_keys", "check_keys(table, schema | {names}, what)", "",
     "raises an error naming an unknown key with \"did you mean\" (for modules)"},
    {"print", "print(...)", "", "writes to stderr (stdout carries --json)"},
    {NULL, NULL, NULL, NULL},
};

const lathe_lua_key *lathe_lua_api_doc(const char *name)
{
    for (const lathe_lua_key *k = api_doc; k->name; k++)
        if (strcmp(k->name, name) == 0)
            return k;
    return NULL;
}

void lathe_lua_open_schema(lua_State *L)
{
    lua_register(L, "check_keys", l_check_keys);
    lathe_lua_open_profiles(L);
}

/* lathe help [COMMAND | NODE]: generated from the registry's parameter tables. */
#include "cli.h"

#include "lathe/lathe.h"
#include "engine/params.h"
#include "lua/lathe_lua.h"
#include "nodes/registry.h"

#include <string.h>

static void print_node(const lathe_node_desc *d)
{
    printf("%s - %s\n", d->name, d->summary);
    if (d->n_inputs == LATHE_VARIADIC)
        printf("inputs: any number\n");
    else
        printf("inputs: %d\n", d->n_inputs);
    printf("parameters:\n");
    if (!d->params || !d->params[0].name)
        printf("  (none)\n");
    lathe_params_print_help(d->params, stdout, 2);
}

/* Each command's usage and options; the node pages come from the parameter tables. */
static const struct {
    const char *name, *text;
} command_help[] = {
    {"render",
     "usage: lathe render SCRIPT|- [-o DIR] [-D name=value]... [-j N] [--cache DIR | --no-cache]\n"
     "                    [--cache-size SIZE] [--allow-path DIR]... [--no-plugins]\n"
     "                    [--preview [--preview-at S]] [--json] [--quiet]\n"
     "Renders every output of a Lua chain script (- : read from standard input) in one pass,\n"
     "measures what it wrote and writes report.html beside the outputs. Every output naming a\n"
     "deliverable is judged against its spec: verdict printed, exit 1 when one fails.\n"
     "  -o DIR           output folder (default: the current folder); outputs cannot leave it\n"
     "  -D name=value    a value for param(name, default) in the script; one that nothing\n"
     "                   reads is an error (exit 2, `lathe help param`)\n"
     "  -j N             threads, default 1; from 2 outputs are also encoded on their own\n"
     "                   threads (results are identical for every N)\n"
     "  --cache DIR      render cache folder (default: $LATHE_CACHE, $XDG_CACHE_HOME/lathe)\n"
     "  --no-cache       render without reading or writing the cache\n"
     "  --cache-size S   cache cap, bytes or 512M / 4G (default 4G), checked at the end\n"
     "  --cache-remote URL  a shared HTTP cache under the local one (or LATHE_CACHE_REMOTE)\n"
     "  --allow-path DIR a further folder outputs may be written to\n"
     "  --preview        DIR/preview/: the loudest 30 s of the source and of every output at one\n"
     "                   loudness (the louder turned down), played side by side in report.html\n"
     "  --preview-at S   the excerpts start S whole seconds in (implies --preview)\n"
     "  --no-plugins     refuse LV2 plugins: a script using lv2{} fails (exit 2)\n"
     "  --json           print {\"outputs\": [...], \"cache\": {...}, \"nodes\": [...]}\n"
     "  --quiet          no summary, no progress bar\n"},
    {"master",
     "usage: lathe master MIX... -o DIR [--target LUFS | --keep-level]\n"
     "                    [--deliver streaming,cd,vinyl,hires,mp3] [--platform LIST]\n"
     "                    [--chain FILE] [-D name=value]... [--preview [--preview-at S]] [--json]\n"
     "       lathe master --album ALBUM.lua -o DIR [--json]\n"
     "Runs the stock chain (chains/master.lua) on each mix: DIR/<stem>.streaming.flac, .cd.wav,\n"
     ".vinyl.wav, .hires.flac, each checked against its spec (exit 1 when one fails), and\n"
     "DIR/<stem>.report.html. One loudness decision: streaming, CD and hi-res reach --target\n"
     "(default -14 LUFS integrated), each under its own true-peak ceiling, limiting peaks at\n"
     "most max_gr_db (the budget, 6 dB; past it exit 2 naming it). Vinyl is only turned down\n"
     "(no limiter). --keep-level keeps the mix's level (turned down where a profile caps it).\n"
     "  --target LUFS    integrated loudness of streaming, CD and hi-res (-40..-3)\n"
     "  --keep-level     no level decision: each profile's cap and ceilings only\n"
     "  --deliver LIST   which deliverables (default all four)\n"
     "  --platform LIST  playback and peak rules of these platforms (spotify, apple, youtube,\n"
     "                   tidal, deezer, amazon)\n"
     "  --chain FILE     your own chain script instead of chains/master.lua\n"
     "  -D KEY=VALUE     a chain option (tilt_db, low_shelf_db, compress_ratio, width, ...)\n"
     "                   or a profile key: -D streaming.target_lufs=-16, -D cd.max_gr_db=4\n"
     "The profile keys (`lathe help deliver`):\n"},
    {"batch",
     "usage: lathe batch CATALOGUE.csv|FOLDER -o DIR [--shard I/N | --shards N]\n"
     "                   [lathe master's options] [--cache-remote URL]\n"
     "       lathe batch --merge DIR\n"
     "Masters every track of a catalogue as `lathe master` would, into DIR/<stem>/. A CSV has a\n"
     "header row with a 'file' column; every other column is a -D value of that track ('stem'\n"
     "also names its folder). A folder means every audio file in it. A track whose outputs are\n"
     "complete and up to date is skipped, so a killed shard is simply run again. The shard that\n"
     "finds every track done writes DIR/catalogue.json and DIR/index.html (failures first).\n"
     "  --shard I/N      render shard I of N (0-based); the split is by duration, the same in\n"
     "                   every shard. Without it: SLURM_ARRAY_TASK_ID/SLURM_ARRAY_TASK_COUNT, or\n"
     "                   JOB_COMPLETION_INDEX with --shards N (a Kubernetes Indexed Job)\n"
     "  --cache-remote URL  a shared HTTP cache (GET/PUT, e.g. nginx WebDAV) under the local one\n"
     "                   (also LATHE_CACHE_REMOTE; LATHE_CACHE_REMOTE_READONLY=1: never PUT;\n"
     "                   LATHE_CACHE_KEY or LATHE_CACHE_KEY_FILE: entries sealed by a MAC)\n"
     "  --merge DIR      only (re)build DIR's catalogue report\n"
     "  --json           print {\"shard\", \"shards\", \"tracks\": [each track's record]}\n"},
    {"check",
     "usage: lathe check FILE... --spec streaming|cd|vinyl|hires|mp3[:key=value,...]\n"
     "                   [--platform LIST] [-D key=value]... [--json]\n"
     "Measures any file against a deliverable spec and prints every rule with its measured\n"
     "value: exit 0 when all pass, 1 when one fails.\n"},
    {"analyze",
     "usage: lathe analyze FILE... [--json]\n"
     "Loudness (BS.1770-4 / EBU R128: integrated, momentary and short-term max, LRA), true peak\n"
     "(8x), sample peak, PLR, crest, DC, correlation, mono loss, clipping runs, clicks, silence,\n"
     "noise floor, octave bands and QC findings with times.\n"},
    {"graph", "usage: lathe graph SCRIPT [-D name=value]...\nPrints the script's graph as Graphviz DOT.\n"},
    {"cache",
     "usage: lathe cache stats|gc|clear [--cache DIR] [--cache-size SIZE]\n"
     "       lathe cache explain SCRIPT [-o DIR] [-D name=value]... [--cache DIR]\n"
     "stats: entries, bytes and the last runs' hits; gc: trim to the cap, least recently used\n"
     "first; clear: remove every entry; explain: which outputs are up to date and, per node,\n"
     "what changed since the last run.\n"},
    {"plugins",
     "usage: lathe plugins [URI]\n"
     "Lists the LV2 plugins lilv finds in LV2_PATH (the only ones a script may name); with a URI,\n"
     "that plugin's version, binary, audio ports, latency port and controls with their ranges,\n"
     "defaults and units (the same as `lathe help lv2:URI`).\n"},
    {"help", "usage: lathe help [COMMAND | NODE | lv2:URI | source | output | param | format |\n"
             "                  tags | deliver | album]\n"},
};

/* Script API pages: the functions' table (lua/l_schema.c) and the option schemas the checks
 * read, so the text and the checks cannot drift. */
static void print_api(const char *name)
{
    const lathe_lua_key *k = lathe_lua_api_doc(name);
    printf("%s\n  %s\n", k->type, k->help);
}

static int help_topic(const char *topic)
{
    if (strcmp(topic, "source") == 0 || strcmp(topic, "format") == 0 ||
        strcmp(topic, "output_text") == 0 || strcmp(topic, "require") == 0) {
        print_api(topic);
    } else if (strcmp(topic, "param") == 0) {
        print_api("param");
        printf("  `-D name=value` on the command line; a name nothing reads is an error naming\n"
               "  the closest name the script did read. Profile keys of chains/deliver.lua read as\n"
               "  -D PROFILE.KEY=VALUE (`lathe help deliver`).\n");
    } else if (strcmp(topic, "output") == 0) {
        print_api("output");
        lathe_lua_schema_print(lathe_lua_schema_find("output"), stdout);
        lathe_lua_schema_print(lathe_lua_schema_find("tags"), stdout);
    } else if (strcmp(topic, "tags") == 0) {
        lathe_lua_schema_print(lathe_lua_schema_find("tags"), stdout);
    } else if (strcmp(topic, "album") == 0) {
        printf("local album = require(\"album\"); album{...} (chains/album.lua)\n");
        lathe_lua_schema_print(lathe_lua_schema_find("album"), stdout);
        lathe_lua_schema_print(lathe_lua_schema_find("album.track"), stdout);
        lathe_lua_schema_print(lathe_lua_schema_find("album.vinyl"), stdout);
    } else if (strcmp(topic, "deliver") == 0) {
        printf("local deliver = require(\"deliver\") (chains/deliver.lua): deliver.streaming, "
               ".cd, .vinyl, .hires, .mp3(master, stem, {key = value}), deliver.all(master, stem, "
               "\"streaming,cd\", {cd = {...}})\n`lathe master` sets mode = \"target\" on "
               "streaming, cd, hires and mp3 (--keep-level: the defaults below)\n");
        return lathe_lua_print_profiles(stdout, NULL) == 0 ? 0 : 2;
    } else {
        return -1;
    }
    return 0;
}

int lathe_cmd_help(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof command_help / sizeof command_help[0]; i++)
        if (strcmp(argv[1], command_help[i].name) == 0) {
            fputs(command_help[i].text, stdout);
            if (strcmp(argv[1], "master") == 0)
                return lathe_lua_print_profiles(stdout, NULL) == 0 ? 0 : 2;
            return 0;
        }
    int topic = argc >= 2 ? help_topic(argv[1]) : -1;
    if (topic >= 0)
        return topic;
    if (argc < 2) {
        lathe_cli_usage(stdout);
        int n;
        const lathe_node_desc *const *all = lathe_registry_all(&n);
        printf("\nscript API (`lathe help TOPIC`): source, output, param, format, tags, deliver, "
               "album\n");
        printf("\nnodes:\n");
        for (int i = 0; i < n; i++)
            printf("  %-10s %s\n", all[i]->name, all[i]->summary);
        return 0;
    }
    if (strncmp(argv[1], "lv2:", 4) == 0)
        return lathe_cli_plugin_help(argv[1] + 4);
    const lathe_node_desc *d = lathe_registry_find(argv[1]);
    if (d) {
        print_node(d);
        return 0;
    }
    fprintf(stderr, "lathe help: no command, topic or node named '%s' (`lathe help` lists "
                    "them)\n", argv[1]);
    return 2;
}

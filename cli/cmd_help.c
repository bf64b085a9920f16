/* lathe help [COMMAND | NODE]: generated from the registry's parameter tables. */
#include "cli.h"

#include "lathe/lathe.h"
#include "engine/params.h"
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
     "usage: lathe render SCRIPT [-o DIR] [-D name=value]... [-j N] [--cache DIR | --no-cache]\n"
     "                    [--cache-size SIZE] [--allow-path DIR]... [--no-plugins] [--json]\n"
     "                    [--quiet]\n"
     "Renders every output of a Lua chain script in one pass, measures what it wrote and writes\n"
     "report.html beside the outputs.\n"
     "  -o DIR           output folder (default: the current folder); outputs cannot leave it\n"
     "  -D name=value    a value for param(name, default) in the script\n"
     "  -j N             threads, default 1; from 2 outputs are also encoded on their own\n"
     "                   threads (results are identical for every N)\n"
     "  --cache DIR      render cache folder (default: $LATHE_CACHE, $XDG_CACHE_HOME/lathe)\n"
     "  --no-cache       render without reading or writing the cache\n"
     "  --cache-size S   cache cap, bytes or 512M / 4G (default 4G), checked at the end\n"
     "  --allow-path DIR a further folder outputs may be written to\n"
     "  --no-plugins     refuse LV2 plugins: a script using lv2{} fails (exit 2)\n"
     "  --json           print {\"outputs\": [...], \"cache\": {...}, \"nodes\": [...]}\n"
     "  --quiet          no summary, no progress bar\n"},
    {"master",
     "usage: lathe master MIX... -o DIR [--deliver streaming,cd,vinyl,hires] [--platform LIST]\n"
     "                    [--chain FILE] [-D name=value]... [--json]\n"
     "       lathe master --album ALBUM.lua -o DIR [--json]\n"
     "Runs the stock chain (chains/master.lua) on each mix: DIR/<stem>.streaming.flac, .cd.wav,\n"
     "vinyl.wav, .hires.flac, each checked against its spec (exit 1 when one fails), and\n"
     "DIR/<stem>.report.html. -D streaming.target_lufs=-16 and the like change a profile.\n"},
    {"check",
     "usage: lathe check FILE... --spec streaming|cd|vinyl|hires[:key=value,...]\n"
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
    {"help", "usage: lathe help [COMMAND | NODE | lv2:URI]\n"},
};

int lathe_cmd_help(int argc, char **argv)
{
    for (size_t i = 0; argc >= 2 && i < sizeof command_help / sizeof command_help[0]; i++)
        if (strcmp(argv[1], command_help[i].name) == 0) {
            fputs(command_help[i].text, stdout);
            return 0;
        }
    if (argc < 2) {
        lathe_cli_usage(stdout);
        int n;
        const lathe_node_desc *const *all = lathe_registry_all(&n);
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
    fprintf(stderr, "lathe help: no command or node named '%s'\n", argv[1]);
    return 2;
}

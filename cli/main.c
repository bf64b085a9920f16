/* lathe: the command line. Dispatches to one function per command (cmd_*.c). */
#define _XOPEN_SOURCE 700
#include "cli.h"

#include "lathe/lathe.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"render", lathe_cmd_render, "render every output of a script in one pass"},
    {"master", lathe_cmd_master, "one mix in, every deliverable out, each checked against its spec"},
    {"batch", lathe_cmd_batch, "a catalogue (CSV or folder) mastered in shards, one catalogue report"},
    {"check", lathe_cmd_check,
     "check a file against a deliverable spec (streaming, cd, vinyl, hires, mp3)"},
    {"analyze", lathe_cmd_analyze, "loudness and QC report of audio files"},
    {"graph", lathe_cmd_graph, "print a script's graph as Graphviz DOT"},
    {"cache", lathe_cmd_cache, "render cache: stats, gc, clear, explain SCRIPT"},
    {"plugins", lathe_cmd_plugins, "installed LV2 plugins; one plugin's ports with their ranges"},
    {"help", lathe_cmd_help, "help on a command or a node"},
};

int lathe_cli_usage(FILE *f)
{
    fprintf(f, "usage: lathe COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n`lathe help COMMAND` or `lathe help NODE` for details.\n");
    return 2;
}

int main(int argc, char **argv)
{
    /* Past a file-size limit (ulimit -f) writes must fail with EFBIG and be reported (exit 3,
     * temp file removed), not kill the process with the temp file left behind. */
    signal(SIGXFSZ, SIG_IGN);
    if (argc < 2)
        return lathe_cli_usage(stderr);
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("lathe %s\n", lathe_version());
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        lathe_cli_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        /* `lathe render --help`: that command's help, wherever the flag is. */
        for (int a = 2; a < argc && commands[i].run != lathe_cmd_help; a++)
            if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
                char *help[] = {"help", argv[1], NULL};
                return lathe_cmd_help(2, help);
            }
        return commands[i].run(argc - 1, argv + 1);
    }
    fprintf(stderr, "lathe: unknown command '%s' (try `lathe --help`)\n", argv[1]);
    return 2;
}

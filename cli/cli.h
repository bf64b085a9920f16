/* cli.h - the commands of the lathe executable. Each takes argv starting at the command name
 * and returns the process exit code of design.md's contract. */
#ifndef LATHE_CLI_H
#define LATHE_CLI_H

#include <jansson.h>
#include <stdio.h>

#include "options.h"

int lathe_cli_usage(FILE *f);
int lathe_cmd_render(int argc, char **argv);
int lathe_cmd_graph(int argc, char **argv);
int lathe_cmd_help(int argc, char **argv);
int lathe_cmd_analyze(int argc, char **argv);
int lathe_cmd_cache(int argc, char **argv);
int lathe_cmd_master(int argc, char **argv);
int lathe_cmd_batch(int argc, char **argv);
int lathe_cmd_check(int argc, char **argv);
int lathe_cmd_plugins(int argc, char **argv);
/* lathe help lv2:URI: one LV2 plugin's ports; returns an exit code. */
int lathe_cli_plugin_help(const char *uri);

/* Shared by render, graph and master: load a script into a graph; render a graph and report.
 * Both return an exit code (0 ok) after printing any error. */
int lathe_cli_load(const lathe_options *o, const char *script, lathe_graph **out);
int lathe_cli_render_graph(const lathe_options *o, lathe_graph *g);
/* Renders g (options' cache and threads) and writes report.html to html unless nothing was
 * rendered and one is there; *run gets the run's JSON (caller frees; NULL on failure). */
int lathe_cli_render_run(const lathe_options *o, lathe_graph *g, const char *title,
                         const char *html, json_t **run);
/* Makes the output folder if needed; 0, or exit code 3 after printing why. */
int lathe_cli_ensure_dir(const char *dir);
/* Reads and measures one audio file (cmd_analyze.c); prints any error and returns an exit code;
 * on success *out is the caller's (lathe_analysis_result_free). */
struct lathe_analysis_result;
int lathe_cli_analyze_file(const char *path, struct lathe_analysis_result **out);

#endif

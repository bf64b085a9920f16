/* Fuzz target: the script front end. The input is run as a chain script in the sandbox (small
 * memory cap and instruction budget so each run is quick) building a graph, which is then
 * planned as far as a dry run goes and printed as DOT. Errors are expected; crashes are not. */
#include "fuzz.h"

#include "lathe/lathe.h"
#include "lua/lathe_lua.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = lathe_fuzz_dir();
    char script[600], err[2048];
    if (!dir)
        return 0;
    snprintf(script, sizeof script, "%s/fuzz.lua", dir);
    if (lathe_fuzz_write(script, data, size) != 0)
        return 0;
    lathe_graph *g;
    if (lathe_graph_new(&g) != LATHE_OK)
        return 0;
    lathe_script_config sc = {.script_path = script, .out_dir = dir,
                              .mem_limit = (size_t)16 << 20, .instr_limit = 200000};
    if (lathe_script_run(&sc, g, err, sizeof err) == LATHE_OK) {
        FILE *null = fopen("/dev/null", "w");
        if (null) {
            lathe_graph_write_dot(g, null);
            fclose(null);
        }
        lathe_render_config cfg = lathe_render_config_default();
        cfg.dry_run = 1; /* plan: formats, latencies, keys; no audio */
        cfg.tmp_dir = dir;
        lathe_render(g, &cfg);
    }
    lathe_graph_free(g);
    return 0;
}

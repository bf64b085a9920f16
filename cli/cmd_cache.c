/* lathe cache stats|gc|clear [--cache DIR] [--cache-size N]
 * lathe cache explain SCRIPT [-D k=v]... [-o DIR]: which nodes would run and why. */
#include "cli.h"

#include "options.h"

#include <string.h>

static void print_stats(const char *dir)
{
    uint64_t entries = 0, bytes = 0;
    lathe_cache_scan(dir, &entries, &bytes);
    printf("cache %s\n  %llu entries, %.1f MiB\n", dir, (unsigned long long)entries,
           (double)bytes / 1048576.0);
    lathe_cache_run runs[8];
    int n = 0;
    if (lathe_cache_stats_load(dir, runs, 8, &n) == LATHE_OK && n > 0) {
        printf("  last runs (hits/misses/corrupt, MiB read/written):\n");
        for (int i = 0; i < n; i++)
            printf("    %llu/%llu/%llu  %.1f/%.1f\n", (unsigned long long)runs[i].stats.hits,
                   (unsigned long long)runs[i].stats.misses, (unsigned long long)runs[i].stats.corrupt,
                   (double)runs[i].stats.bytes_read / 1048576.0,
                   (double)runs[i].stats.bytes_written / 1048576.0);
    }
}

static int explain(const lathe_options *o, lathe_cache *cache)
{
    if (o->n_positional != 2) {
        fprintf(stderr, "usage: lathe cache explain SCRIPT [-D name=value]... [-o DIR]\n");
        return 2;
    }
    lathe_graph *g;
    int code = lathe_cli_load(o, o->positional[1], &g);
    if (code)
        return code;
    lathe_render_config cfg = lathe_render_config_default();
    cfg.cache = cache;
    cfg.dry_run = 1;
    int rc = lathe_render(g, &cfg);
    if (rc != LATHE_OK) {
        fprintf(stderr, "lathe: %s\n", lathe_graph_error(g));
        lathe_graph_free(g);
        return lathe_status_exit_code(rc);
    }
    for (int i = 0; i < lathe_graph_output_count(g); i++) {
        const lathe_output_result *r = lathe_graph_output_result(g, i);
        if (r->copied_from)
            printf("%s: will be copied from %s\n", r->path, r->copied_from);
        else
            printf("%s: %s\n", r->path, r->skipped ? "up to date, left alone" : "will be written");
    }
    for (int i = 0; i < lathe_graph_node_count(g); i++)
        printf("  %-10s %-24s %s\n", lathe_graph_node_name(g, i), lathe_graph_node_label(g, i),
               lathe_graph_node_why(g, i));
    lathe_graph_free(g);
    return 0;
}

int lathe_cmd_cache(int argc, char **argv)
{
    lathe_options o;
    if (lathe_options_parse(&o, argc, argv, NULL, NULL))
        return 2;
    const char *sub = o.n_positional ? o.positional[0] : "";
    if (o.no_cache) {
        fprintf(stderr, "lathe cache: --no-cache makes no sense here\n");
        return 2;
    }
    lathe_cache *cache;
    int code = lathe_options_open_cache(&o, &cache);
    if (code)
        return code;
    const char *dir = lathe_cache_dir(cache);
    if (strcmp(sub, "stats") == 0) {
        print_stats(dir);
    } else if (strcmp(sub, "gc") == 0) {
        lathe_cache_gc_result res;
        lathe_cache_gc(cache, o.cache_size, &res);
        printf("removed %llu entries (%.1f MiB) and %llu stale temp files; %llu entries remain\n",
               (unsigned long long)res.removed_entries, (double)res.removed_bytes / 1048576.0,
               (unsigned long long)res.removed_temps, (unsigned long long)res.entries);
    } else if (strcmp(sub, "clear") == 0) {
        code = lathe_cache_clear(dir) == LATHE_OK ? 0 : 3;
        if (!code)
            printf("cleared %s\n", dir);
    } else if (strcmp(sub, "explain") == 0) {
        code = explain(&o, cache);
    } else {
        fprintf(stderr, "usage: lathe cache stats|gc|clear|explain [--cache DIR]\n");
        code = 2;
    }
    lathe_cache_free(cache);
    return code;
}

/* lathe plugins [URI] and lathe help lv2:URI: the LV2 plugins lilv finds in LV2_PATH, and one
 * plugin's ports with the ranges, defaults and units the lv2 node checks controls against. */
#include "cli.h"

#include "nodes/lv2_world.h"

#include <math.h>
#include <string.h>

static void print_entry(void *ud, const char *uri, const char *name)
{
    printf("%-56s %s\n", uri, name);
}

static void print_range(const lathe_lv2_port *pt)
{
    char r[96];
    if (pt->toggled)
        snprintf(r, sizeof r, "toggle, default %g", pt->def);
    else
        snprintf(r, sizeof r, "[%g, %g]%s, default %g", pt->min, pt->max, pt->integer ? " integer" : "",
                 pt->def);
    printf("  %-18s %-34s %-7s %s\n", pt->symbol, r, pt->unit, pt->name);
}

static void print_plugin(const lathe_lv2_plugin *p)
{
    printf("%s\n%s\n", p->name, p->uri);
    printf("version %d.%d, binary %s (xxh3 %016llx)\n", p->minor, p->micro, p->library,
           (unsigned long long)p->library_hash);
    printf("audio: %d in, %d out", p->n_audio_in, p->n_audio_out);
    if (p->latency_port >= 0)
        printf("; latency reported on port '%s' (compensated)", p->ports[p->latency_port].symbol);
    printf("\n");
    if (p->missing_feature[0])
        printf("cannot be hosted: requires %s\n", p->missing_feature);
    printf("controls (lv2{uri = \"%s\", controls = {symbol = value, ...}}):\n", p->uri);
    for (uint32_t i = 0; i < p->n_ports; i++)
        if (p->ports[i].kind == LATHE_LV2_CONTROL_IN)
            print_range(&p->ports[i]);
    printf("outputs the plugin reports (read only):\n");
    for (uint32_t i = 0; i < p->n_ports; i++)
        if (p->ports[i].kind == LATHE_LV2_CONTROL_OUT)
            print_range(&p->ports[i]);
}

int lathe_cli_plugin_help(const char *uri)
{
    char err[512];
    lathe_lv2_plugin *p;
    if (lathe_lv2_plugin_get(uri, &p, err, sizeof err) != 0) {
        fprintf(stderr, "lathe: %s\n", err);
        return 2;
    }
    print_plugin(p);
    lathe_lv2_plugin_free(p);
    return 0;
}

int lathe_cmd_plugins(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        fprintf(stderr, "usage: lathe plugins [URI]\n");
        return 2;
    }
    if (argc == 2)
        return lathe_cli_plugin_help(argv[1]);
    char err[512];
    int n = lathe_lv2_list(print_entry, NULL, err, sizeof err);
    if (n < 0) {
        fprintf(stderr, "lathe: %s\n", err);
        return 2;
    }
    printf("%d LV2 plugin%s (from LV2_PATH; `lathe plugins URI` for one plugin's ports)\n", n,
           n == 1 ? "" : "s");
    return 0;
}

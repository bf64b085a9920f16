/* lathe help [COMMAND | NODE]: generated from the registry's parameter tables. */
#include "cli.h"

#include "lathe.h"
#include "params.h"

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

int lathe_cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        lathe_cli_usage(stdout);
        int n;
        const lathe_node_desc *const *all = lathe_registry_all(&n);
        printf("\nnodes:\n");
        for (int i = 0; i < n; i++)
            printf("  %-10s %s\n", all[i]->name, all[i]->summary);
        return 0;
    }
    const lathe_node_desc *d = lathe_registry_find(argv[1]);
    if (d) {
        print_node(d);
        return 0;
    }
    fprintf(stderr, "lathe help: no command or node named '%s'\n", argv[1]);
    return 2;
}

/* The registry: the one list of node types (registry.def), which hosts hand to the engine. */
#include "registry.h"

#include <string.h>

#define LATHE_NODE(x) extern const lathe_node_desc lathe_node_##x;
#include "registry.def"
#undef LATHE_NODE

static const lathe_node_desc *const all_nodes[] = {
#define LATHE_NODE(x) &lathe_node_##x,
#include "registry.def"
#undef LATHE_NODE
};

const lathe_node_desc *lathe_registry_find(const char *name)
{
    for (size_t i = 0; i < sizeof all_nodes / sizeof all_nodes[0]; i++)
        if (strcmp(all_nodes[i]->name, name) == 0)
            return all_nodes[i];
    return NULL;
}

const lathe_node_desc *const *lathe_registry_all(int *n)
{
    *n = (int)(sizeof all_nodes / sizeof all_nodes[0]);
    return all_nodes;
}

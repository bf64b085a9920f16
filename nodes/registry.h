/* registry.h - every node type lathe knows, listed once in registry.def. The engine knows no node
 * by name: hosts (the Lua bindings, the program) look node types up here and hand descriptors to
 * lathe_graph_add_node(). */
#ifndef LATHE_REGISTRY_H
#define LATHE_REGISTRY_H

#include "lathe/lathe_node.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The descriptor named `name`, or NULL. */
const lathe_node_desc *lathe_registry_find(const char *name);
/* All node types, in registry order; *n receives the count. */
const lathe_node_desc *const *lathe_registry_all(int *n);

#ifdef __cplusplus
}
#endif
#endif

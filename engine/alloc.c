/* The one allocator hook: everything the engine, nodes, meters, kernels, the script and the
 * cache allocate goes through here, so tests can fail the Nth allocation and check that each
 * failure is reported and leaks nothing. */
#include "lathe/lathe.h"
#include "lathe/lathe_node.h"
#include "cache/cache.h"

#include <stdlib.h>
#include <string.h>

static lathe_alloc_fn *hook_fn;
static void *hook_ud;

void lathe_set_allocator(lathe_alloc_fn *fn, void *ud)
{
    hook_fn = fn;
    hook_ud = ud;
    lathe_cache_use_allocator(lathe_alloc, lathe_realloc, lathe_dealloc); /* the cache too */
}

void *lathe_alloc(size_t n)
{
    if (hook_fn && !hook_fn(hook_ud, n))
        return NULL;
    return malloc(n ? n : 1);
}

void *lathe_calloc(size_t count, size_t size)
{
    if (hook_fn && !hook_fn(hook_ud, count * size))
        return NULL;
    return calloc(count ? count : 1, size ? size : 1);
}

void *lathe_realloc(void *p, size_t n)
{
    if (hook_fn && !hook_fn(hook_ud, n))
        return NULL; /* p stays valid, as with realloc */
    return realloc(p, n ? n : 1);
}

void lathe_dealloc(void *p)
{
    free(p);
}

char *lathe_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = lathe_alloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* The cache's allocator (cache.h): malloc and friends until a host hands its own. The engine
 * hands the one its fault-injection hook sits in, so a failed allocation in the cache is tested
 * like any other; the cache itself still includes nothing above it. */
#include "cache_int.h"

#include <stdlib.h>
#include <string.h>

static void *(*alloc_fn)(size_t) = malloc;
static void *(*realloc_fn)(void *, size_t) = realloc;
static void (*dealloc_fn)(void *) = free;

void lathe_cache_use_allocator(void *(*alloc)(size_t), void *(*resize)(void *, size_t),
                               void (*dealloc)(void *))
{
    alloc_fn = alloc ? alloc : malloc;
    realloc_fn = resize ? resize : realloc;
    dealloc_fn = dealloc ? dealloc : free;
}

void *lathe_cache_alloc(size_t n)
{
    return alloc_fn(n ? n : 1);
}

void *lathe_cache_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = lathe_cache_alloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *lathe_cache_realloc(void *p, size_t n)
{
    return realloc_fn(p, n ? n : 1);
}

void lathe_cache_dealloc(void *p)
{
    dealloc_fn(p);
}

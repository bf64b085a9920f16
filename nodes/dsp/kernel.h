/* What every DSP kernel shares: the status its constructors return and the allocator its state
 * comes from. Kernels know no engine: a host passes its own allocator (lathe's nodes and meters
 * pass the engine's, so the fault-injection tests reach kernel state) or NULL for malloc/free.
 * FFTW's aligned buffers and plans stay FFTW's. */
#ifndef LATHE_DSP_KERNEL_H
#define LATHE_DSP_KERNEL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum lathe_dsp_status {
    LATHE_DSP_OK = 0,
    LATHE_DSP_NOMEM = -1,      /* an allocation failed */
    LATHE_DSP_BAD_CONFIG = -2, /* a rate, channel count or size the kernel does not take */
} lathe_dsp_status;

typedef struct lathe_dsp_alloc {
    void *(*alloc)(size_t);
    void (*dealloc)(void *);
} lathe_dsp_alloc;

/* The allocator a kernel keeps for its lifetime: a's functions, or malloc/free for NULL. */
static inline lathe_dsp_alloc lathe_dsp_alloc_or_default(const lathe_dsp_alloc *a)
{
    return a ? *a : (lathe_dsp_alloc){malloc, free};
}

/* Zeroed memory for count items of size bytes; NULL on failure or overflow. */
static inline void *lathe_dsp_calloc(const lathe_dsp_alloc *a, size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    n = n ? n : 1;
    void *p = a->alloc(n);
    if (p)
        memset(p, 0, n);
    return p;
}

static inline void lathe_dsp_free(const lathe_dsp_alloc *a, void *p)
{
    if (p)
        a->dealloc(p);
}

#endif

/* The engine's side of hosting a DSP kernel (dsp/kernel.h), for the rooms that host them (the
 * nodes and the meters): the allocator to hand a kernel, so the engine's fault-injection hook
 * reaches kernel state, and the one mapping from a kernel's status to the engine's. */
#ifndef LATHE_MEASURE_KERNEL_HOST_H
#define LATHE_MEASURE_KERNEL_HOST_H

#include "dsp/kernel.h"
#include "lathe/lathe_node.h"

static inline const lathe_dsp_alloc *lathe_kernel_alloc(void)
{
    static const lathe_dsp_alloc engine = {lathe_alloc, lathe_dealloc};
    return &engine;
}

/* A kernel's (or meter's) status as the engine's: out of memory, or a format the kernel does
 * not take, which the node reports as such. */
static inline int lathe_kernel_status(int s)
{
    return s == LATHE_DSP_OK ? LATHE_OK : s == LATHE_DSP_NOMEM ? LATHE_ERR_NOMEM : LATHE_ERR_FORMAT;
}

#endif

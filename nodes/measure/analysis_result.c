/* analysis_result.c - a finished analysis as a value: freed, packed into one buffer for the
 * render cache and unpacked again, read by hosts through accessors (analysis.h). Apart from the
 * aggregator (analysis.c) because it changes for another reason: the cache's byte layout. */
#include "analysis.h"
#include "lathe/lathe_node.h"

#include <stdlib.h>
#include <string.h>

void lathe_analysis_result_free(lathe_analysis_result *r)
{
    if (!r)
        return;
    lathe_dealloc(r->clicks);
    lathe_dealloc(r->short_term_lufs);
    lathe_dealloc(r->peak_dbfs);
    lathe_dealloc(r->findings);
    lathe_dealloc(r);
}

#define PACK_MAGIC 0x4c415452u /* "LATR" */

typedef struct pack_head {
    uint32_t magic, struct_size, finding_size;
    uint64_t n_clicks, n_short_term, n_findings, n_peak;
} pack_head;

/* memcpy that an empty (NULL) array may pass */
static unsigned char *put(unsigned char *p, const void *src, size_t bytes)
{
    if (bytes)
        memcpy(p, src, bytes);
    return p + bytes;
}

int lathe_analysis_result_pack(const lathe_analysis_result *r, void **buf, size_t *len)
{
    pack_head h = {PACK_MAGIC, sizeof *r, sizeof(lathe_finding), r->n_clicks, r->n_short_term,
                   r->n_findings, r->n_peak};
    size_t n = sizeof h + sizeof *r + r->n_clicks * sizeof *r->clicks
             + (r->n_short_term + r->n_peak) * sizeof(double) + r->n_findings * sizeof *r->findings;
    unsigned char *b = lathe_alloc(n), *p = b;
    if (!b)
        return -1;
    lathe_analysis_result flat = *r;
    flat.clicks = NULL;
    flat.short_term_lufs = flat.peak_dbfs = NULL;
    flat.findings = NULL;
    memcpy(p, &h, sizeof h), p += sizeof h;
    memcpy(p, &flat, sizeof flat), p += sizeof flat;
    p = put(p, r->clicks, r->n_clicks * sizeof *r->clicks);
    p = put(p, r->short_term_lufs, r->n_short_term * sizeof(double));
    p = put(p, r->peak_dbfs, r->n_peak * sizeof(double));
    put(p, r->findings, r->n_findings * sizeof *r->findings);
    *buf = b;
    *len = n;
    return 0;
}

static void *take(const unsigned char **p, size_t bytes)
{
    void *d = lathe_alloc(bytes ? bytes : 1);
    if (d)
        memcpy(d, *p, bytes);
    *p += bytes;
    return d;
}

int lathe_analysis_result_unpack(const void *buf, size_t len, lathe_analysis_result **out)
{
    pack_head h;
    if (len < sizeof h)
        return -1;
    memcpy(&h, buf, sizeof h);
    if (h.magic != PACK_MAGIC || h.struct_size != sizeof(lathe_analysis_result)
        || h.finding_size != sizeof(lathe_finding) || h.n_clicks > len || h.n_short_term > len
        || h.n_findings > len || h.n_peak > len
        || len != sizeof h + sizeof(lathe_analysis_result) + h.n_clicks * sizeof(lathe_click_at)
                  + (h.n_short_term + h.n_peak) * sizeof(double)
                  + h.n_findings * sizeof(lathe_finding))
        return -1;
    const unsigned char *p = (const unsigned char *)buf + sizeof h;
    lathe_analysis_result *r = take(&p, sizeof *r);
    if (!r)
        return -1;
    r->clicks = take(&p, h.n_clicks * sizeof *r->clicks);
    r->short_term_lufs = take(&p, h.n_short_term * sizeof(double));
    r->peak_dbfs = take(&p, h.n_peak * sizeof(double));
    r->findings = take(&p, h.n_findings * sizeof *r->findings);
    if (!r->clicks || !r->short_term_lufs || !r->peak_dbfs || !r->findings) {
        lathe_analysis_result_free(r);
        return -1;
    }
    *out = r;
    return 0;
}

double lathe_analysis_result_integrated(const lathe_analysis_result *r)
{
    return r->integrated_lufs;
}

double lathe_analysis_result_true_peak(const lathe_analysis_result *r)
{
    return r->true_peak_dbtp;
}

double lathe_analysis_result_lra(const lathe_analysis_result *r)
{
    return r->lra_lu;
}

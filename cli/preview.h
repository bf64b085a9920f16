/* preview.h - level-matched A/B excerpts of a render (--preview): the same stretch (the loudest
 * 30 s of the source by default, or from --preview-at S) of the source and of every output,
 * at the same integrated loudness (BS.1770; the louder ones turned down, nothing limited or
 * turned up), with 20 ms fades, as 32-bit float WAVs in DIR/preview/. report.html plays them with
 * plain <audio> elements. */
#ifndef LATHE_PREVIEW_H
#define LATHE_PREVIEW_H

#include "lathe/lathe.h"

#include <jansson.h>

#define LATHE_PREVIEW_MAX 33 /* the source and up to 32 outputs */

typedef struct lathe_preview_item {
    char file[4096];   /* path written */
    char href[512];    /* relative to the output folder, for report.html */
    char label[256];   /* "source" or the output's file name */
    uint32_t rate;
    uint64_t start_frame, frames;
    double lufs_before, gain_db;
} lathe_preview_item;

typedef struct lathe_previews {
    int n;
    double at_s, len_s, lufs; /* where, how long, the common loudness */
    lathe_preview_item item[LATHE_PREVIEW_MAX];
} lathe_previews;

/* [main] Writes the excerpts of g's source (the one its first output descends from through
 * first inputs) and outputs into out_dir/preview/, names prefixed with stem. at_s: whole seconds
 * from the start, NAN for the loudest 30 s. Returns 0, 2 when at_s lies past the end, or 3 after
 * printing a one-line error. */
int lathe_preview_write(const lathe_graph *g, const char *out_dir, const char *stem, double at_s,
                        lathe_previews *pv);
/* The previews as JSON (file, of, rate, start_frame, frames, gain_db, lufs). */
json_t *lathe_preview_to_json(const lathe_previews *pv);
/* The report.html section: one <audio> per excerpt, grouped. */
void lathe_preview_html(FILE *f, const lathe_previews *pv);

#endif

/* batch.h - `lathe batch`: a catalogue of tracks mastered in shards (cmd_batch.c), and the
 * catalogue report merged from every track's record (batch_merge.c). */
#ifndef LATHE_BATCH_H
#define LATHE_BATCH_H

/* Name of the record each track's folder gets once the track has been rendered (or failed):
 * written last, atomically, so its presence with a matching stamp means "up to date". */
#define LATHE_BATCH_RECORD "track.json"

/* Builds DIR/catalogue.json and DIR/index.html from DIR/ * /track.json (failures first).
 * quiet: no line on stdout. Returns an exit code: 0 every track passed, 1 some failed. */
int lathe_batch_merge(const char *dir, int quiet);

#endif

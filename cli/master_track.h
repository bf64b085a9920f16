/* master_track.h - one mix through the master chain, as `lathe master MIX` does it; shared by
 * cmd_master.c and cmd_batch.c so a catalogue's track is mastered exactly like a single one. */
#ifndef LATHE_MASTER_TRACK_H
#define LATHE_MASTER_TRACK_H

#include "cli.h"

typedef struct master_opts {
    const char *deliver, *platform, *chain, *album, *target;
    int keep_level;
} master_opts;

/* "dir/song.final.wav" -> "song.final": the name a mix's outputs and report carry. */
void lathe_cli_stem_of(const char *path, char *out, size_t size);
/* Parses lathe master's own options (the `extra` of lathe_options_parse). */
int lathe_cli_master_option(void *ud, int argc, char **argv);
/* Checks --deliver's names and --target/--keep-level; 0 or exit code 2 after printing why.
 * Sets o->budget_hint. */
int lathe_cli_master_check(const master_opts *m, lathe_options *o);
/* Renders mix with chain into o->out_dir and checks each deliverable; appends the run's JSON
 * to runs and clears *all_pass when a spec failed. Returns an exit code (0: rendered). */
int lathe_cli_master_track(const lathe_options *o, const master_opts *m, const char *chain,
                           const char *mix, json_t *runs, int *all_pass);

#endif

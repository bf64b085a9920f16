/* profiles.h - the deliverable profiles (streaming, cd, vinyl, hires, mp3) as one table of
 * numbers: the check (measure/spec.c) judges files with it and the stock chains read it through the
 * Lua binding (lua/l_profiles.c, the global `spec_profiles`), so a checked value has one home.
 *
 * A spec string is a profile name with optional overrides: "cd" or "cd:ceiling_dbtp=-1,min_track_s=2". */
#ifndef LATHE_MEASURE_PROFILES_H
#define LATHE_MEASURE_PROFILES_H

#include <stddef.h>

#define LATHE_SPEC_MAX_SETTINGS 16

typedef struct lathe_spec_setting {
    const char *key;
    double value;
    const char *help;
} lathe_spec_setting;

typedef struct lathe_spec_profile {
    const char *name;
    const char *container;     /* "flac", "wav" or "mp3": the file extension */
    const char *summary;
    lathe_spec_setting settings[LATHE_SPEC_MAX_SETTINGS]; /* NULL key ends */
} lathe_spec_profile;

/* 1 when spec names a profile ("cd", "cd:ceiling_dbtp=-1"): outputs with other deliverable
 * names are not checked. */
int lathe_spec_known(const char *spec);
/* The profile names as a comma list, for messages ("streaming, cd, vinyl, hires, mp3"). */
void lathe_spec_names(char *out, size_t size);
/* The stock profiles, NULL-terminated. */
const lathe_spec_profile *const *lathe_spec_profiles(void);
/* Parses "name[:k=v,...]" plus extra "k=v" overrides into *out (a copy of the profile). Returns 0,
 * or -1 with a one-line message in err (unknown profile or key, bad number). */
int lathe_spec_parse(const char *spec, const char *const *overrides, int n_overrides,
                     lathe_spec_profile *out, char *err, size_t err_size);
double lathe_spec_get(const lathe_spec_profile *p, const char *key);

#endif

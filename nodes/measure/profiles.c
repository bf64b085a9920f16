/* Deliverable profiles as data (profiles.h). Numbers come from specs.md: the table at the top,
 * §1.1 (platforms), §2 (CD), §3 (vinyl), §4 (hi-res), §6.10 (codec round trip), §6.11 (format
 * checks). The stock chains read the same table (lua/l_profiles.c -> chains/deliver.lua). */
#include "profiles.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const lathe_spec_profile streaming = {
    "streaming", "flac", "24-bit FLAC at 44.1/48 kHz, -1 dBTP (-2 when louder than -14 LUFS), "
    "clean after MP3/Opus round trips",
    {{"bits", 24, "word length"},
     {"min_rate", 44100, "lowest sample rate (Hz)"},
     {"max_rate", 48000, "highest sample rate (Hz); raise to keep a hi-res rate"},
     {"ceiling_dbtp", -1, "true-peak ceiling"},
     {"loud_ceiling_dbtp", -2, "true-peak ceiling when louder than loud_above_lufs"},
     {"loud_above_lufs", -14, "a master louder than this needs loud_ceiling_dbtp"},
     {"codec_check", 1, "1: MP3 320k and Opus 160k round trips must not clip"},
     {NULL, 0, NULL}}};

static const lathe_spec_profile cd = {
    "cd", "wav", "16-bit 44.1 kHz stereo WAV, -0.3 dBTP, no 4-sample full-scale runs, whole "
    "588-frame sectors, >= 4 s",
    {{"bits", 16, "word length"},
     {"rate", 44100, "sample rate (Hz)"},
     {"channels", 2, "channels"},
     {"ceiling_dbtp", -0.3, "true-peak ceiling"},
     {"max_clip_runs", 0, "runs of >= 4 full-scale samples allowed (PCM-1630 overs)"},
     {"sector_frames", 588, "length must be a multiple of this (CD sector, 1/75 s)"},
     {"min_track_s", 4, "shortest track (s)"},
     {NULL, 0, NULL}}};

static const lathe_spec_profile vinyl = {
    "vinyl", "wav", "24-bit WAV up to 96 kHz, <= 0 dBTP, -18..-14 LUFS, low end in phase, side "
    "length for 12\" 33 1/3",
    {{"bits", 24, "word length"},
     {"min_rate", 44100, "lowest sample rate (Hz)"},
     {"max_rate", 96000, "highest sample rate (Hz)"},
     {"ceiling_dbtp", 0, "true-peak ceiling (plants: never above 0 dBTP)"},
     {"max_lufs", -14, "loudest integrated loudness"},
     {"min_lufs", -18, "advisory: quieter than this wastes groove level"},
     {"lf_hz", 300, "low end below this must stay in phase"},
     /* A low end made mono reads a few thousandths either side of zero through the 300 Hz
      * low-pass (content just above the crossover leaks in): -0.05 is that noise, not phase. */
     {"lf_corr_min", -0.05, "lowest allowed correlation of a 1 s low-end window"},
     {"side_recommended_s", 1170, "advisory side length (12\" 33 1/3: 19:30)"},
     {"side_max_s", 1380, "longest side (12\" 33 1/3: 23:00)"},
     {NULL, 0, NULL}}};

static const lathe_spec_profile hires = {
    "hires", "flac", "24-bit FLAC at the mix's own rate (hi-res stores: above 48 kHz), -1 dBTP",
    {{"bits", 24, "word length"},
     {"ceiling_dbtp", -1, "true-peak ceiling"},
     {"min_rate", 44100, "lowest sample rate (Hz)"},
     {"hires_rate", 88200, "advisory: the hi-res stores' definition needs this rate or more"},
     {NULL, 0, NULL}}};

/* A promo copy beside the masters (issue #17): judged on what a listener's decoder gives back
 * (the file is read through libsndfile's MPEG decoder), so the ceiling holds after decoding. */
static const lathe_spec_profile mp3 = {
    "mp3", "mp3", "320 kbps MP3 promo copy at 44.1/48 kHz, -1 dBTP after decoding",
    {{"bits", 0, "word length (0: lossy, none stored)"},
     {"min_rate", 44100, "lowest sample rate (Hz)"},
     {"max_rate", 48000, "highest sample rate (Hz; MPEG-1 Layer III stops at 48 kHz)"},
     {"ceiling_dbtp", -1, "true-peak ceiling of the decoded file"},
     {"bitrate_kbps", 320, "constant bitrate written (kbps)"},
     {NULL, 0, NULL}}};

static const lathe_spec_profile *const profiles[] = {&streaming, &cd, &vinyl, &hires, &mp3, NULL};

/* "streaming, cd, vinyl, hires, mp3": the names for an error message, from the table itself. */
void lathe_spec_names(char *out, size_t size)
{
    size_t used = 0;
    out[0] = 0;
    for (int i = 0; profiles[i] && used < size; i++)
        used += (size_t)snprintf(out + used, size - used, "%s%s", i ? ", " : "", profiles[i]->name);
}

const lathe_spec_profile *const *lathe_spec_profiles(void)
{
    return profiles;
}
int lathe_spec_known(const char *spec)
{
    size_t nlen = strcspn(spec, ":");
    for (int i = 0; profiles[i]; i++)
        if (strlen(profiles[i]->name) == nlen && strncmp(profiles[i]->name, spec, nlen) == 0)
            return 1;
    return 0;
}

double lathe_spec_get(const lathe_spec_profile *p, const char *key)
{
    for (int i = 0; p->settings[i].key; i++)
        if (strcmp(p->settings[i].key, key) == 0)
            return p->settings[i].value;
    return NAN;
}

static int set_one(lathe_spec_profile *p, const char *kv, size_t len, char *err, size_t n)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%.*s", (int)len, kv);
    char *eq = strchr(buf, '=');
    if (!eq) {
        snprintf(err, n, "spec %s: '%s': expected key=value", p->name, buf);
        return -1;
    }
    *eq = 0;
    char *end;
    double v = strtod(eq + 1, &end);
    if (end == eq + 1 || *end || !isfinite(v)) {
        snprintf(err, n, "spec %s: %s=%s: expected a number", p->name, buf, eq + 1);
        return -1;
    }
    for (int i = 0; p->settings[i].key; i++) {
        if (strcmp(p->settings[i].key, buf) == 0) {
            p->settings[i].value = v;
            return 0;
        }
    }
    char keys[512];
    size_t used = 0;
    keys[0] = 0;
    for (int i = 0; p->settings[i].key && used < sizeof keys; i++)
        used += (size_t)snprintf(keys + used, sizeof keys - used, "%s%s", i ? ", " : "",
                                 p->settings[i].key);
    snprintf(err, n, "spec %s: unknown setting '%s' (valid: %s)", p->name, buf, keys);
    return -1;
}

int lathe_spec_parse(const char *spec, const char *const *overrides, int n_overrides,
                     lathe_spec_profile *out, char *err, size_t err_size)
{
    size_t nlen = strcspn(spec, ":");
    for (int i = 0; profiles[i]; i++) {
        if (strlen(profiles[i]->name) != nlen || strncmp(profiles[i]->name, spec, nlen) != 0)
            continue;
        *out = *profiles[i];
        for (const char *s = spec[nlen] ? spec + nlen + 1 : spec + nlen; *s;) {
            size_t len = strcspn(s, ",");
            if (len && set_one(out, s, len, err, err_size) != 0)
                return -1;
            s += len + (s[len] == ',');
        }
        for (int i2 = 0; i2 < n_overrides; i2++)
            if (set_one(out, overrides[i2], strlen(overrides[i2]), err, err_size) != 0)
                return -1;
        return 0;
    }
    char names[128];
    lathe_spec_names(names, sizeof names);
    snprintf(err, err_size, "unknown spec '%.*s' (%s)", (int)nlen, spec, names);
    return -1;
}

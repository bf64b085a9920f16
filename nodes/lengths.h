/* lengths.h - one rule for the length parameters of fade, trim and pad: each length comes as a
 * pair, a time (`x_ms` or `x_s`, rounded to the nearest frame) or an exact frame count
 * (`x_frames`); giving both is an error rather than a silent precedence. */
#ifndef LATHE_LENGTHS_H
#define LATHE_LENGTHS_H

#include "lathe/lathe_node.h"

#include <stdio.h>

/* [main] Frames for `time` seconds-or-ms (seconds_per_unit 1 or 1e-3) or `frames`; -1 with a
 * message in err (may be NULL) when both are
 * non-zero. */
static inline int64_t len_frames(double time, double seconds_per_unit, int frames, uint32_t rate,
                                 const char *time_name, const char *frames_name, char *err,
                                 size_t size)
{
    if (time > 0.0 && frames > 0) {
        if (err)
            snprintf(err, size, "give %s or %s, not both", time_name, frames_name);
        return -1;
    }
    return frames > 0 ? frames : (int64_t)llround(time * seconds_per_unit * rate);
}

#endif

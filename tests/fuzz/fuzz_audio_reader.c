/* Fuzz target: audio decoding through lathe's reader (libsndfile underneath): open, read every
 * frame in odd-sized blocks, ask for the first non-finite sample. Must never crash or hang. */
#include "fuzz.h"

#include "engine/audio_io.h"
#include "lathe/lathe.h"

#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *dir = lathe_fuzz_dir();
    char path[600], err[LATHE_ERR_MAX + 64];
    if (!dir)
        return 0;
    snprintf(path, sizeof path, "%s/input.wav", dir);
    if (lathe_fuzz_write(path, data, size) != 0)
        return 0;
    lathe_audio_reader *r;
    lathe_audio_info info;
    if (lathe_audio_reader_open(path, &r, &info, err, sizeof err) != LATHE_OK)
        return 0;
    static float bufs[LATHE_MAX_CHANNELS][1237];
    float *ch[LATHE_MAX_CHANNELS];
    for (int c = 0; c < LATHE_MAX_CHANNELS; c++)
        ch[c] = bufs[c];
    /* Reading stops at the end of the data whatever the header claims; cap the work anyway. */
    for (int blocks = 0; blocks < 4096; blocks++)
        if (lathe_audio_reader_read(r, ch, 1237) <= 0)
            break;
    int bad_ch;
    (void)lathe_audio_reader_bad_sample(r, &bad_ch);
    lathe_audio_reader_free(r);
    return 0;
}

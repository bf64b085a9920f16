/* Issue 4's neutral chain: every tone and dynamics node at neutral settings, chained, nulls
 * against its input after latency compensation. Settings are chosen so that the nodes really run
 * (lookahead, linear phase, a band that listens but does not act) instead of being skipped as
 * no-ops, so the engine's alignment is exercised too. */
#define _XOPEN_SOURCE 700
#include "testutil.h"

#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

static long read_all(const char *path, float **x)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return -1;
    *x = malloc(sizeof(float) * (size_t)(info.frames * info.channels));
    long n = (long)sf_readf_float(sf, *x, info.frames) * info.channels;
    sf_close(sf);
    return n;
}

int main(void)
{
    const char *bin = getenv("LATHE_BIN");
    char dir[512], path[1024];
    tu_tmpdir(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/chain.lua", dir);
    FILE *f = fopen(path, "w");
    fputs("local x = mix(noise{duration_s = 4, color = 'pink', amplitude_db = -30, seed = 9},\n"
          "              sine{freq_hz = 997, duration_s = 4, amplitude_db = -24})\n"
          "output(x, 'in.wav', {bits = 32})\n"
          "local y = x:eq{ phase = 'linear', bands = { {type = 'bell', freq_hz = 1000, gain_db = 0, q = 1} } }\n"
          "  :dyneq{ bands = { {type = 'bell', freq_hz = 3000, q = 1, threshold_db = 0, ratio = 4, range_db = 6} } }\n"
          "  :compress{ ratio = 1, lookahead_ms = 5, threshold_db = -40 }\n"
          "  :stereo{ width = 1 }\n"
          "  :saturate{ mix = 0 }\n"
          "output(y, 'out.wav', {bits = 32})\n", f);
    fclose(f);
    CHECK(tu_run("cd %s && %s render chain.lua --no-cache --quiet --json > run.json", dir, bin) == 0,
          "neutral chain renders");
    CHECK(tu_run("cd %s && grep -q '\"type\": \"compress\"' run.json", dir) == 0, "compress is in the run log");
    float *a, *b;
    char pa[1024], pb[1024];
    snprintf(pa, sizeof pa, "%s/in.wav", dir);
    snprintf(pb, sizeof pb, "%s/out.wav", dir);
    long na = read_all(pa, &a), nb = read_all(pb, &b);
    CHECK(na > 0 && na == nb, "same length after latency compensation (%ld, %ld)", na, nb);
    double worst = 0;
    for (long i = 0; na == nb && i < na; i++)
        worst = fmax(worst, fabs((double)a[i] - (double)b[i]));
    CHECK(tu_db(worst) < -120.0, "neutral chain nulls: worst difference %.1f dBFS (< -120)", tu_db(worst));
    free(a);
    free(b);
    tu_run("rm -rf %s", dir);
    return tu_done();
}

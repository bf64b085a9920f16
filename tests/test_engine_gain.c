/* The gain node through the harness: 0 dB is exact, -6.0206 dB halves every sample, float overs
 * survive; and the runner's latency/flush contract on a multi-block signal. */
#include "nodeharness.h"
#include "testutil.h"

#include <string.h>

int main(void)
{
    const lathe_node_desc *gain = tu_node("gain");
    CHECK(gain != NULL, "gain is registered");
    tu_signal in = tu_signal_new(48000, 2, 10007);
    uint64_t seed = 1;
    for (uint64_t i = 0; i < in.fmt.frames; i++) {
        in.ch[0][i] = (float)(tu_rand(&seed) * 4.0); /* overs up to +12 dBFS */
        in.ch[1][i] = (float)((int)(tu_rand(&seed) * 8388607.0)) / 8388608.0f;
    }
    struct { double gain_db; } p = {0.0};
    tu_signal out;
    CHECK(tu_node_run(gain, &p, &in, 1, 1000, &out, NULL, 0) == LATHE_OK, "gain 0 dB runs");
    CHECK(out.fmt.frames == in.fmt.frames, "length kept");
    CHECK(memcmp(out.ch[0], in.ch[0], sizeof(float) * in.fmt.frames) == 0, "0 dB is bit-exact, overs kept");
    tu_signal_free(&out);
    p.gain_db = -6.0206;
    CHECK(tu_node_run(gain, &p, &in, 1, 37, &out, NULL, 0) == LATHE_OK, "gain -6.0206 dB runs");
    int exact = 1;
    for (uint64_t i = 0; i < in.fmt.frames; i++)
        exact &= out.ch[1][i] == in.ch[1][i] * 0.5f && out.ch[0][i] == in.ch[0][i] * 0.5f;
    CHECK(exact, "-6.0206 dB halves every sample exactly");
    tu_signal_free(&out);
    tu_signal_free(&in);
    return tu_done();
}

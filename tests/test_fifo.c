/* test_fifo.c - a node's FIFO under pipelined rounds (engine/fifo.h): readers see only what was
 * published, a push never moves frames a reader may be reading (one that does not fit waits
 * aside until the next publish), and what is published comes out in order, whole. */
#include "testutil.h"

#include "engine/fifo.h"

#include <string.h>

/* Pushes n frames of a ramp continuing from *next on both channels. */
static int push_ramp(lathe_fifo *f, uint32_t n, float *next)
{
    float a[3000], b[3000];
    for (uint32_t i = 0; i < n; i++) {
        a[i] = *next + (float)i;
        b[i] = -a[i];
    }
    *next += (float)n;
    const float *x[2] = {a, b};
    return lathe_fifo_push(f, x, n);
}

int main(void)
{
    lathe_fifo f;
    float next = 0.0f;
    CHECK(lathe_fifo_init(&f, 2, 1024) == LATHE_OK, "init");
    CHECK(push_ramp(&f, 1000, &next) == LATHE_OK, "push within capacity");
    CHECK(lathe_fifo_avail(&f, 0) == 0 && !lathe_fifo_ended(&f), "nothing visible before publish");
    CHECK(lathe_fifo_publish(&f) == LATHE_OK && lathe_fifo_avail(&f, 0) == 1000, "published");

    /* A reader holds a pointer into the published frames while the producer pushes past the
     * capacity: the frames under the pointer stay where they are. */
    const float *held = f.ch[0];
    CHECK(push_ramp(&f, 3000, &next) == LATHE_OK && push_ramp(&f, 10, &next) == LATHE_OK,
          "pushes past the capacity");
    f.ended = 1;
    CHECK(f.ch[0] == held && held[999] == 999.0f, "published frames not moved by a push");
    CHECK(lathe_fifo_avail(&f, 0) == 1000 && !lathe_fifo_ended(&f),
          "readers still see the last publish only, the end included");

    lathe_fifo_drop_until(&f, 400); /* between rounds: every reader past 400 */
    CHECK(lathe_fifo_publish(&f) == LATHE_OK, "publish grows for what waited aside");
    CHECK(lathe_fifo_avail(&f, 400) == 3610 && lathe_fifo_ended(&f), "all of it, and the end");
    int in_order = 1;
    for (uint64_t pos = 400; pos < 4010; pos++) {
        float v0 = f.ch[0][pos - f.start], v1 = f.ch[1][pos - f.start];
        in_order &= v0 == (float)pos && v1 == -(float)pos;
    }
    CHECK(in_order, "frames in stream order across the capacity and the publish");
    lathe_fifo_fini(&f);
    return tu_done();
}

/* test_click_rank.c - grouping and ranking of clicks on hand-made lists: clicks less than
 * LATHE_CLICK_GROUP_GAP_S apart (any channel) form one place of at most LATHE_CLICK_GROUP_SPAN_S,
 * places are ranked by their strongest click (ties: more clicks, then earlier), and the result
 * does not depend on the order of the input list. */
#include "measure/click_rank.h"
#include "testutil.h"

#include <math.h>
#include <string.h>

static void check_groups(const lathe_qc_event *ev, size_t n, const char *what)
{
    lathe_click_group g[8];
    size_t ng = lathe_click_groups(ev, n, 1000.0, g);
    CHECK(ng == 4, "%s: 4 places (%zu)", what, ng);
    if (ng != 4)
        return;
    /* 0.5 strong single at 9 s; tie 0.3 between a pair (2 clicks) and a single: pair first */
    CHECK(g[0].count == 1 && g[0].strongest_s == 9.0 && g[0].peak == 0.5, "%s: pop first", what);
    CHECK(g[1].count == 2 && g[1].start_s == 20.0 && g[1].end_s == 20.9 && g[1].peak == 0.3 &&
              g[1].channel == 1,
          "%s: the pair ranks before the single of the same strength", what);
    CHECK(g[2].count == 1 && g[2].strongest_s == 30.0, "%s: then the single", what);
    CHECK(g[3].count == 4 && g[3].start_s == 1.0 && g[3].end_s == 2.9 && g[3].strongest_s == 2.0 &&
              g[3].peak == 0.2,
          "%s: a chain of gaps under 1 s is one place, its strongest click kept", what);
}

int main(void)
{
    const lathe_qc_event ev[] = {
        {1000, 0, 1, 0.1}, {1900, 1, 1, 0.1}, {2000, 0, 1, 0.2}, {2900, 1, 1, 0.05}, /* place */
        {9000, 0, 1, 0.5},                                                           /* pop */
        {20000, 0, 1, 0.1}, {20900, 1, 1, 0.3},                                      /* pair */
        {30000, 1, 1, 0.3},                                                          /* single */
    };
    const size_t n = sizeof ev / sizeof ev[0];
    check_groups(ev, n, "time order");
    lathe_qc_event rev[sizeof ev / sizeof ev[0]];
    for (size_t i = 0; i < n; i++)
        rev[i] = ev[n - 1 - i];
    check_groups(rev, n, "reversed");
    /* clicks every 0.5 s for 12 s: places of at most 5 s, 0-5, 5.5-10.5, 11-11.5 */
    lathe_qc_event dense[24];
    for (size_t i = 0; i < 24; i++)
        dense[i] = (lathe_qc_event){500 * i, 0, 1, 0.1 + 0.001 * (double)i};
    lathe_click_group g[24];
    size_t ng = lathe_click_groups(dense, 24, 1000.0, g);
    CHECK(ng == 3, "dense clicks: 3 places of at most 5 s (%zu)", ng);
    if (ng == 3)
        CHECK(g[0].start_s == 11.0 && g[0].count == 2 && g[1].start_s == 5.5 && g[1].end_s == 10.5 &&
                  g[1].count == 11 && g[2].start_s == 0.0 && g[2].count == 11,
              "dense clicks: places ranked by their strongest, counts 2, 11, 11");
    CHECK(lathe_click_groups(ev, 0, 1000.0, g) == 0, "no clicks, no places");
    return tu_done();
}

/* click_rank.h - turns the QC's list of clicks into a short report: clicks close together in
 * time (on any channel) form one group, and groups are ranked by their strongest click, so a
 * song with hundreds of detections reads as a few places worth listening to. */
#ifndef LATHE_CLICK_RANK_H
#define LATHE_CLICK_RANK_H

#include "qc.h"

#include <stddef.h>

#define LATHE_CLICK_GROUP_GAP_S 1.0  /* a click this close to the previous one joins its group */
#define LATHE_CLICK_GROUP_SPAN_S 5.0 /* ... if the group is not longer than this: dense detections
                                        over a whole song still make places one can go to */

typedef struct lathe_click_group {
    double start_s, end_s; /* first and last click of the group */
    double strongest_s;    /* time of the strongest click */
    double peak;           /* its |3rd difference| */
    size_t count;          /* clicks in the group */
    uint32_t channel;      /* channel of the strongest click */
} lathe_click_group;

/* Groups the n clicks (any order) and writes the groups, strongest first (ties: more clicks,
 * then earlier), to out (room for n groups). Returns the number of groups, or 0 on no memory
 * or no clicks. Deterministic: the result does not depend on the order of the input. */
size_t lathe_click_groups(const lathe_qc_event *clicks, size_t n, double rate,
                          lathe_click_group *out);

#endif

/* report.h - lathe_report: the "key=value" lines a node leaves after a run. */
#ifndef LATHE_REPORT_H
#define LATHE_REPORT_H

#include "lathe/lathe_node.h"

struct lathe_report {
    char *text; /* "key=value\n"..., NUL-terminated, owned */
    size_t len, cap;
};

void lathe_report_init(lathe_report *r);
void lathe_report_fini(lathe_report *r);

#endif

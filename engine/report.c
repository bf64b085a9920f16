#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void lathe_report_init(lathe_report *r)
{
    memset(r, 0, sizeof *r);
}

void lathe_report_fini(lathe_report *r)
{
    lathe_dealloc(r->text);
    memset(r, 0, sizeof *r);
}

static void add_line(lathe_report *r, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof line)
        n = sizeof line - 1;
    if (r->len + (size_t)n + 1 > r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        while (cap < r->len + (size_t)n + 1)
            cap *= 2;
        char *t = lathe_alloc(cap);
        if (!t)
            return; /* a report is best effort: losing a line must not fail a render */
        if (r->text)
            memcpy(t, r->text, r->len + 1);
        lathe_dealloc(r->text);
        r->text = t;
        r->cap = cap;
    }
    memcpy(r->text + r->len, line, (size_t)n + 1);
    r->len += (size_t)n;
}

void lathe_report_number(lathe_report *r, const char *key, double value)
{
    add_line(r, "%s=%.17g\n", key, value);
}

void lathe_report_string(lathe_report *r, const char *key, const char *value)
{
    add_line(r, "%s=%s\n", key, value);
}

/* report_format.c - see report_format.h. */
#include "report_format.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct unit {
    const char *suffix; /* of the key */
    int decimals;
    const char *name; /* printed after the number, "" for none */
} unit;

/* Longest suffixes first where one ends another (_dbtp before _db...). */
static const unit units[] = {
    {"_dbtp", 2, " dBTP"}, {"_dbfs", 2, " dBFS"}, {"_lufs", 2, " LUFS"}, {"_db", 2, " dB"},
    {"_lu", 2, " LU"},     {"_khz", 3, " kHz"},   {"_hz", 0, " Hz"},     {"_ms", 1, " ms"},
    {"_s", 2, " s"},       {"_frames", 0, ""},    {"_samples", 0, ""},   {"ratio", 2, ""},
};

static const unit *unit_of(const char *key)
{
    size_t kl = strlen(key);
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        size_t sl = strlen(units[i].suffix);
        if (kl >= sl && strcmp(key + kl - sl, units[i].suffix) == 0)
            return &units[i];
    }
    return NULL;
}

/* Appends one number: by its unit, else short (%g) so no float prints 17 digits. */
static size_t put_number(char *buf, size_t size, double v, const unit *u, int last)
{
    int n;
    if (!isfinite(v))
        n = snprintf(buf, size, "%s", isnan(v) ? "n/a" : v > 0 ? "+inf" : "-inf");
    else if (u)
        n = snprintf(buf, size, "%.*f%s", u->decimals, fabs(v) < 0.5 * pow(10, -u->decimals) ? 0.0 : v,
                     last ? u->name : "");
    else
        n = snprintf(buf, size, "%.4g", v);
    return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size ? size - 1 : 0;
}

void lathe_report_format_value(char *buf, size_t size, const char *key, const char *value)
{
    const unit *u = unit_of(key);
    size_t at = 0;
    if (!size)
        return;
    buf[0] = 0;
    for (const char *p = value; *p;) {
        char *end;
        double v = strtod(p, &end);
        if (end == p || (*end && *end != ',')) { /* not a number list: as it was written */
            snprintf(buf, size, "%s", value);
            return;
        }
        at += put_number(buf + at, size - at, v, u, !*end);
        if (*end && at + 2 < size) {
            memcpy(buf + at, ", ", 3);
            at += 2;
        }
        p = *end ? end + 1 : end;
    }
}

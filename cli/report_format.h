/* report_format.h - a node's reported values written to their meaning for people (report.html):
 * 0.01 dB, 0.01 LU, whole Hz and frames, never the 17 digits the JSON keeps for programs. */
#ifndef LATHE_CLI_REPORT_FORMAT_H
#define LATHE_CLI_REPORT_FORMAT_H

#include <stddef.h>

/* One "key=value" line's value: a number formatted by the unit its key names (suffix _db, _lu,
 * _lufs, _dbtp, _hz, _ms, _s, _frames...), a list of numbers each so, anything else as is. */
void lathe_report_format_value(char *buf, size_t size, const char *key, const char *value);

#endif

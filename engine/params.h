/* params.h - parameter tables at work: defaults, setting from typed values, range checks,
 * canonical hashing for cache keys and help text. Nodes never see this; the engine, the Lua
 * bindings and tests do. */
#ifndef LATHE_PARAMS_H
#define LATHE_PARAMS_H

#include "lathe/lathe_node.h"

#include <stdio.h>

struct lathe_key_builder;

void lathe_params_defaults(const lathe_param *table, void *params);
const lathe_param *lathe_params_find(const lathe_param *table, const char *name);
/* The closest name in the table (for "did you mean"), or NULL when nothing is close. */
const char *lathe_params_suggest(const lathe_param *table, const char *name);

/* Setters check type and range and write a message (without the node's name) on failure.
 * `base` is the parameter struct (or a list element). */
int lathe_param_set_number(const lathe_param *p, void *base, double v, char *err, size_t n);
int lathe_param_set_string(const lathe_param *p, void *base, const char *s, char *err, size_t n);
/* NUMBERS: appends one value. LIST: returns the next element (defaults filled) or NULL when full. */
int lathe_param_push_number(const lathe_param *p, void *base, double v, char *err, size_t n);
void *lathe_param_push_element(const lathe_param *p, void *base, char *err, size_t n);
/* MAP: sets entry `name` (added in name order, or replaced). The node checks names in prepare. */
int lathe_param_put_named(const lathe_param *p, void *base, const char *name, double v, char *err,
                          size_t n);
/* The string a parameter holds (ENUM choice or STRING), for reports and DOT labels. */
const char *lathe_param_string(const lathe_param *p, const void *base);
double lathe_param_number(const lathe_param *p, const void *base);

/* Feeds every parameter, in table order, as exact bits into the key. */
/* Every field of params within its table's rules; LATHE_ERR_PARAM and a message if not. */
int lathe_params_validate(const lathe_param *table, const void *params, char *err, size_t n);

void lathe_params_hash(const lathe_param *table, const void *params, struct lathe_key_builder *kb);
/* "gain_db=-6 freq_hz=1000 ..." of the values differing from the defaults (for labels). */
void lathe_params_summary(const lathe_param *table, const void *params, char *buf, size_t size);
/* Every parameter as "name=value" lines (lists as name[i].field=value), for comparing runs. */
void lathe_params_dump(const lathe_param *table, const void *params, const char *prefix,
                       char *buf, size_t size);
/* Help: one line per parameter with type, unit, range and default. */
void lathe_params_print_help(const lathe_param *table, FILE *f, int indent);

#endif

/* Parameter tables at work. Every node's parameters are validated, defaulted, hashed and
 * documented here from its table, so no node writes that code itself. */
#include "params.h"

#include "cache/cache_key.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void *field(const lathe_param *p, void *base) { return (char *)base + p->offset; }
static const void *cfield(const lathe_param *p, const void *base)
{
    return (const char *)base + p->offset;
}
static int *count_of(const lathe_param *p, void *base)
{
    return (int *)((char *)base + p->count_offset);
}
static int ccount_of(const lathe_param *p, const void *base)
{
    return *(const int *)((const char *)base + p->count_offset);
}

static int enum_index(const lathe_param *p, const char *s)
{
    for (int i = 0; p->choices && p->choices[i]; i++)
        if (strcmp(p->choices[i], s) == 0)
            return i;
    return -1;
}

void lathe_params_defaults(const lathe_param *table, void *params)
{
    for (const lathe_param *p = table; p && p->name; p++) {
        void *f = field(p, params);
        switch (p->type) {
        case LATHE_P_NUMBER: *(double *)f = p->def; break;
        case LATHE_P_INT:
        case LATHE_P_BOOL: *(int *)f = (int)p->def; break;
        case LATHE_P_ENUM: *(int *)f = p->def_str ? enum_index(p, p->def_str) : 0; break;
        case LATHE_P_STRING: snprintf(f, LATHE_STR_MAX, "%s", p->def_str ? p->def_str : ""); break;
        case LATHE_P_NUMBERS:
        case LATHE_P_LIST:
        case LATHE_P_MAP: *count_of(p, params) = 0; break;
        }
    }
}

const lathe_param *lathe_params_find(const lathe_param *table, const char *name)
{
    for (const lathe_param *p = table; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

/* Optimal string alignment distance, for "did you mean". */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int c = a[i - 1] != b[j - 1];
            int v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + c < v) v = d[i - 1][j - 1] + c;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

/* Distance used for "did you mean": a prefix of 3+ characters ("gain" for "gain_db") counts
 * as close too. */
static int closeness(const char *name, const char *cand)
{
    if (strncmp(cand, name, strlen(name)) == 0 && strlen(name) >= 3)
        return 1;
    return edit_distance(name, cand);
}

static int close_enough(const char *name, int d)
{
    return d <= 2 + (int)strlen(name) / 6;
}

const char *lathe_params_suggest(const lathe_param *table, const char *name)
{
    const char *names[256];
    int n = 0;
    for (const lathe_param *p = table; p && p->name && n < 256; p++)
        names[n++] = p->name;
    return lathe_suggest_name(name, names, n);
}

const char *lathe_suggest_name(const char *name, const char *const *candidates, int n)
{
    const char *best = NULL;
    int best_d = 99;
    for (int i = 0; i < n; i++) {
        int d = closeness(name, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return close_enough(name, best_d) ? best : NULL;
}

static int check_range(const lathe_param *p, double v, char *err, size_t n)
{
    if (isnan(v) || v < p->min || v > p->max) {
        snprintf(err, n, "%s %g out of range [%g, %g]", p->name, v, p->min, p->max);
        return LATHE_ERR_PARAM;
    }
    return LATHE_OK;
}

int lathe_param_set_number(const lathe_param *p, void *base, double v, char *err, size_t n)
{
    switch (p->type) {
    case LATHE_P_NUMBER:
        if (check_range(p, v, err, n))
            return LATHE_ERR_PARAM;
        *(double *)field(p, base) = v;
        return LATHE_OK;
    case LATHE_P_INT:
        if (v != floor(v)) {
            snprintf(err, n, "%s expects a whole number, got %g", p->name, v);
            return LATHE_ERR_PARAM;
        }
        if (check_range(p, v, err, n))
            return LATHE_ERR_PARAM;
        *(int *)field(p, base) = (int)v;
        return LATHE_OK;
    case LATHE_P_BOOL:
        *(int *)field(p, base) = v != 0.0;
        return LATHE_OK;
    default:
        snprintf(err, n, "%s expects %s, got a number", p->name,
                 p->type == LATHE_P_ENUM ? "a name" : p->type == LATHE_P_STRING ? "a string" : "a table");
        return LATHE_ERR_PARAM;
    }
}

static void list_choices(const lathe_param *p, char *buf, size_t n)
{
    buf[0] = 0;
    for (int i = 0; p->choices[i]; i++) {
        size_t len = strlen(buf);
        snprintf(buf + len, n - len, "%s%s", i ? ", " : "", p->choices[i]);
    }
}

int lathe_param_set_string(const lathe_param *p, void *base, const char *s, char *err, size_t n)
{
    if (p->type == LATHE_P_ENUM) {
        int i = enum_index(p, s);
        if (i < 0) {
            char choices[256];
            list_choices(p, choices, sizeof choices);
            snprintf(err, n, "%s \"%s\" is not one of: %s", p->name, s, choices);
            return LATHE_ERR_PARAM;
        }
        *(int *)field(p, base) = i;
        return LATHE_OK;
    }
    if (p->type == LATHE_P_STRING) {
        if (strlen(s) >= LATHE_STR_MAX) {
            snprintf(err, n, "%s is longer than %d bytes", p->name, LATHE_STR_MAX - 1);
            return LATHE_ERR_PARAM;
        }
        snprintf(field(p, base), LATHE_STR_MAX, "%s", s);
        return LATHE_OK;
    }
    snprintf(err, n, "%s expects %s, got a string", p->name,
             p->type == LATHE_P_BOOL ? "true or false" : p->type <= LATHE_P_INT ? "a number" : "a table");
    return LATHE_ERR_PARAM;
}

int lathe_param_push_number(const lathe_param *p, void *base, double v, char *err, size_t n)
{
    int *cnt = count_of(p, base);
    if (*cnt >= p->max_count) {
        snprintf(err, n, "%s takes at most %d values", p->name, p->max_count);
        return LATHE_ERR_PARAM;
    }
    if (check_range(p, v, err, n))
        return LATHE_ERR_PARAM;
    ((double *)field(p, base))[(*cnt)++] = v;
    return LATHE_OK;
}

void *lathe_param_push_element(const lathe_param *p, void *base, char *err, size_t n)
{
    int *cnt = count_of(p, base);
    if (*cnt >= p->max_count) {
        snprintf(err, n, "%s takes at most %d entries", p->name, p->max_count);
        return NULL;
    }
    void *elem = (char *)field(p, base) + (size_t)(*cnt)++ * p->elem_size;
    memset(elem, 0, p->elem_size);
    lathe_params_defaults(p->fields, elem);
    return elem;
}

int lathe_param_put_named(const lathe_param *p, void *base, const char *name, double v, char *err,
                          size_t n)
{
    lathe_named_number *e = field(p, base);
    int *cnt = count_of(p, base), at = 0;
    if (strlen(name) >= LATHE_NAME_MAX || !*name) {
        snprintf(err, n, "%s: name '%.40s' must be 1 to %d bytes", p->name, name, LATHE_NAME_MAX - 1);
        return LATHE_ERR_PARAM;
    }
    if (!isfinite(v)) {
        snprintf(err, n, "%s.%s must be a finite number", p->name, name);
        return LATHE_ERR_PARAM;
    }
    while (at < *cnt && strcmp(e[at].name, name) < 0)
        at++;
    if (at == *cnt || strcmp(e[at].name, name) != 0) {
        if (*cnt >= p->max_count) {
            snprintf(err, n, "%s takes at most %d entries", p->name, p->max_count);
            return LATHE_ERR_PARAM;
        }
        /* Sorted by name: the table's order in Lua is not stable, its hash must be. */
        memmove(&e[at + 1], &e[at], (size_t)(*cnt - at) * sizeof *e);
        (*cnt)++;
        snprintf(e[at].name, LATHE_NAME_MAX, "%s", name);
    }
    e[at].value = v;
    return LATHE_OK;
}

const char *lathe_param_string(const lathe_param *p, const void *base)
{
    if (p->type == LATHE_P_ENUM) {
        int i = *(const int *)cfield(p, base);
        return i >= 0 ? p->choices[i] : "?";
    }
    return p->type == LATHE_P_STRING ? cfield(p, base) : NULL;
}

double lathe_param_number(const lathe_param *p, const void *base)
{
    switch (p->type) {
    case LATHE_P_NUMBER: return *(const double *)cfield(p, base);
    case LATHE_P_INT:
    case LATHE_P_BOOL:
    case LATHE_P_ENUM: return *(const int *)cfield(p, base);
    default: return NAN;
    }
}

/* The whole struct checked against its table, as a host that fills it without Lua must be:
 * lathe_graph_add_node calls this, so a C program cannot hand a node a value the setters above
 * would have refused (NaN, out of range, an enum index past its choices, an unterminated string,
 * a count past its array). */
int lathe_params_validate(const lathe_param *table, const void *params, char *err, size_t n)
{
    for (const lathe_param *p = table; p && p->name; p++) {
        const void *f = cfield(p, params);
        switch (p->type) {
        case LATHE_P_NUMBER:
            if (check_range(p, *(const double *)f, err, n))
                return LATHE_ERR_PARAM;
            break;
        case LATHE_P_INT:
        case LATHE_P_BOOL:
            if (check_range(p, *(const int *)f, err, n))
                return LATHE_ERR_PARAM;
            break;
        case LATHE_P_ENUM: {
            int i = *(const int *)f, k = 0;
            while (p->choices && p->choices[k])
                k++;
            if (i < 0 || i >= k) {
                snprintf(err, n, "%s: choice %d is not one of the %d names", p->name, i, k);
                return LATHE_ERR_PARAM;
            }
            break;
        }
        case LATHE_P_STRING:
            if (!memchr(f, 0, LATHE_STR_MAX)) {
                snprintf(err, n, "%s is not a string of at most %d bytes", p->name, LATHE_STR_MAX - 1);
                return LATHE_ERR_PARAM;
            }
            break;
        case LATHE_P_NUMBERS:
        case LATHE_P_LIST:
        case LATHE_P_MAP: {
            int cnt = ccount_of(p, params);
            if (cnt < 0 || cnt > p->max_count) {
                snprintf(err, n, "%s has %d entries, at most %d allowed", p->name, cnt, p->max_count);
                return LATHE_ERR_PARAM;
            }
            for (int i = 0; i < cnt; i++) {
                int rc = LATHE_OK;
                if (p->type == LATHE_P_NUMBERS)
                    rc = check_range(p, ((const double *)f)[i], err, n);
                else if (p->type == LATHE_P_LIST)
                    rc = lathe_params_validate(p->fields, (const char *)f + (size_t)i * p->elem_size, err, n);
                else {
                    const lathe_named_number *e = (const lathe_named_number *)f + i;
                    if (!memchr(e->name, 0, LATHE_NAME_MAX) || !e->name[0] || !isfinite(e->value)) {
                        snprintf(err, n, "%s: entry %d needs a name and a finite number", p->name, i + 1);
                        rc = LATHE_ERR_PARAM;
                    }
                }
                if (rc)
                    return LATHE_ERR_PARAM;
            }
            break;
        }
        }
    }
    return LATHE_OK;
}

void lathe_params_hash(const lathe_param *table, const void *params, struct lathe_key_builder *kb)
{
    for (const lathe_param *p = table; p && p->name; p++) {
        lathe_key_builder_add_str(kb, p->name);
        const void *f = cfield(p, params);
        switch (p->type) {
        case LATHE_P_NUMBER: lathe_key_builder_add_f64(kb, *(const double *)f); break;
        case LATHE_P_INT:
        case LATHE_P_BOOL: lathe_key_builder_add_i64(kb, *(const int *)f); break;
        case LATHE_P_ENUM: lathe_key_builder_add_str(kb, lathe_param_string(p, params)); break;
        case LATHE_P_STRING: lathe_key_builder_add_str(kb, f); break;
        case LATHE_P_NUMBERS: {
            int c = ccount_of(p, params);
            lathe_key_builder_add_u32(kb, (uint32_t)c);
            for (int i = 0; i < c; i++)
                lathe_key_builder_add_f64(kb, ((const double *)f)[i]);
            break;
        }
        case LATHE_P_LIST: {
            int c = ccount_of(p, params);
            lathe_key_builder_add_u32(kb, (uint32_t)c);
            for (int i = 0; i < c; i++)
                lathe_params_hash(p->fields, (const char *)f + (size_t)i * p->elem_size, kb);
            break;
        }
        case LATHE_P_MAP: {
            int c = ccount_of(p, params);
            const lathe_named_number *e = f;
            lathe_key_builder_add_u32(kb, (uint32_t)c);
            for (int i = 0; i < c; i++) {
                lathe_key_builder_add_str(kb, e[i].name);
                lathe_key_builder_add_f64(kb, e[i].value);
            }
            break;
        }
        }
    }
}

static int append(char *buf, size_t size, const char *fmt, const char *name, const char *val)
{
    size_t len = strlen(buf);
    if (len + 1 >= size)
        return 0;
    snprintf(buf + len, size - len, fmt, len ? " " : "", name, val);
    return 1;
}

void lathe_params_summary(const lathe_param *table, const void *params, char *buf, size_t size)
{
    buf[0] = 0;
    for (const lathe_param *p = table; p && p->name; p++) {
        char v[LATHE_STR_MAX]; /* a plugin's URI fits whole */
        if (p->type == LATHE_P_MAP && ccount_of(p, params)) {
            const lathe_named_number *e = cfield(p, params);
            v[0] = 0;
            for (int i = 0; i < ccount_of(p, params); i++) {
                size_t len = strlen(v);
                snprintf(v + len, sizeof v - len, "%s%s=%g", i ? "," : "{", e[i].name, e[i].value);
            }
            size_t len = strlen(v);
            snprintf(v + len, sizeof v - len, "}");
        } else if (p->type == LATHE_P_NUMBER || p->type == LATHE_P_INT || p->type == LATHE_P_BOOL) {
            double x = lathe_param_number(p, params);
            if (x == p->def)
                continue;
            snprintf(v, sizeof v, "%g", x);
        } else if (p->type == LATHE_P_ENUM || p->type == LATHE_P_STRING) {
            const char *s = lathe_param_string(p, params);
            if (p->def_str && strcmp(s, p->def_str) == 0)
                continue;
            snprintf(v, sizeof v, "%s", s);
        } else {
            int c = ccount_of(p, params);
            if (!c)
                continue;
            snprintf(v, sizeof v, "[%d]", c);
        }
        if (!append(buf, size, "%s%s=%s", p->name, v))
            return;
    }
}

static const char *type_name(const lathe_param *p)
{
    static const char *names[] = {"number", "integer", "boolean", "one of", "string",
                                  "list of numbers", "list of tables", "table of name = number"};
    return names[p->type];
}

void lathe_params_print_help(const lathe_param *table, FILE *f, int indent)
{
    for (const lathe_param *p = table; p && p->name; p++) {
        fprintf(f, "%*s%-18s %s", indent, "", p->name, type_name(p));
        switch (p->type) {
        case LATHE_P_NUMBER:
        case LATHE_P_INT:
            fprintf(f, " [%g, %g], default %g", p->min, p->max, p->def);
            break;
        case LATHE_P_BOOL: fprintf(f, ", default %s", p->def != 0.0 ? "true" : "false"); break;
        case LATHE_P_ENUM: {
            char choices[256];
            list_choices(p, choices, sizeof choices);
            fprintf(f, " {%s}, default %s", choices, p->def_str ? p->def_str : p->choices[0]);
            break;
        }
        case LATHE_P_STRING: fprintf(f, ", default \"%s\"", p->def_str ? p->def_str : ""); break;
        case LATHE_P_NUMBERS: fprintf(f, " (up to %d) in [%g, %g]", p->max_count, p->min, p->max); break;
        case LATHE_P_LIST:
        case LATHE_P_MAP: fprintf(f, " (up to %d)", p->max_count); break;
        }
        fprintf(f, "\n%*s    %s\n", indent, "", p->help ? p->help : "");
        if (p->type == LATHE_P_LIST)
            lathe_params_print_help(p->fields, f, indent + 4);
    }
}

void lathe_params_dump(const lathe_param *table, const void *params, const char *prefix,
                       char *buf, size_t size)
{
    for (const lathe_param *p = table; p && p->name; p++) {
        size_t len = strlen(buf);
        if (len + 1 >= size)
            return;
        if (p->type == LATHE_P_MAP) {
            const lathe_named_number *e = cfield(p, params);
            for (int i = 0; i < ccount_of(p, params); i++) {
                len = strlen(buf);
                snprintf(buf + len, size - len, "%s%s.%s=%.17g\n", prefix, p->name, e[i].name,
                         e[i].value);
            }
        } else if (p->type == LATHE_P_LIST || p->type == LATHE_P_NUMBERS) {
            int c = ccount_of(p, params);
            snprintf(buf + len, size - len, "%s%s=[%d]\n", prefix, p->name, c);
            for (int i = 0; i < c; i++) {
                char sub[96];
                snprintf(sub, sizeof sub, "%s%s[%d].", prefix, p->name, i + 1);
                if (p->type == LATHE_P_LIST) {
                    lathe_params_dump(p->fields, (const char *)cfield(p, params) + (size_t)i * p->elem_size,
                                      sub, buf, size);
                } else {
                    len = strlen(buf);
                    snprintf(buf + len, size - len, "%s%s[%d]=%.17g\n", prefix, p->name, i + 1,
                             ((const double *)cfield(p, params))[i]);
                }
            }
        } else if (p->type == LATHE_P_ENUM || p->type == LATHE_P_STRING) {
            snprintf(buf + len, size - len, "%s%s=%s\n", prefix, p->name, lathe_param_string(p, params));
        } else {
            snprintf(buf + len, size - len, "%s%s=%.17g\n", prefix, p->name, lathe_param_number(p, params));
        }
    }
}

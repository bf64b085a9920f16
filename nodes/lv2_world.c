/* LV2 hosting through lilv: one world for the process, plugin descriptions copied out of it,
 * and instances given the features a mastering host owes them (URID map, options with the
 * sample rate and block length, fixed power-of-two blocks). ffmpeg's af_lv2.c was read for the
 * shape of a lilv host; this one differs where caching needs it (fixed blocks, a watchdog). */
#define _POSIX_C_SOURCE 200809L
#include "lv2_world.h"

#include "lathe/lathe_node.h"

#include <stdio.h>
#include <string.h>

static int refused;

void lathe_lv2_refuse(void) { refused = 1; }

const lathe_lv2_port *lathe_lv2_find_control(const lathe_lv2_plugin *p, const char *symbol)
{
    for (uint32_t i = 0; i < p->n_ports; i++)
        if (p->ports[i].kind == LATHE_LV2_CONTROL_IN && strcmp(p->ports[i].symbol, symbol) == 0)
            return &p->ports[i];
    return NULL;
}

void lathe_lv2_plugin_free(lathe_lv2_plugin *p)
{
    if (p)
        lathe_dealloc(p->ports);
    lathe_dealloc(p);
}

#ifndef LATHE_HAVE_LILV

#define NO_LV2 "lathe was built without LV2 support (install liblilv-dev and rebuild)"

int lathe_lv2_available(void) { return 0; }

int lathe_lv2_list(void (*fn)(void *ud, const char *uri, const char *name), void *ud, char *err,
                   size_t n)
{
    snprintf(err, n, NO_LV2);
    return LATHE_ERR_PARAM;
}

int lathe_lv2_plugin_get(const char *uri, lathe_lv2_plugin **out, char *err, size_t n)
{
    snprintf(err, n, NO_LV2);
    return LATHE_ERR_PARAM;
}

int lathe_lv2_instance_new(const lathe_lv2_plugin *p, double rate, lathe_lv2_instance **out,
                           char *err, size_t n)
{
    snprintf(err, n, NO_LV2);
    return LATHE_ERR_PARAM;
}

float *lathe_lv2_instance_control(lathe_lv2_instance *in, uint32_t index) { return NULL; }
void lathe_lv2_instance_connect(lathe_lv2_instance *in, uint32_t index, float *buf) {}
void lathe_lv2_instance_activate(lathe_lv2_instance *in) {}
void lathe_lv2_instance_restart(lathe_lv2_instance *in) {}
void lathe_lv2_instance_run(lathe_lv2_instance *in) {}
void lathe_lv2_instance_free(lathe_lv2_instance *in) {}

#else

#include <dlfcn.h>
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/units/units.h>
#include <lv2/urid/urid.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#define MAX_ATOM_PORTS 8
#define ATOM_CAPACITY 8192

struct lathe_lv2_instance {
    LilvInstance *li;
    char uri[256];
    float *controls; /* one per port, used by control ports */
    uint32_t n_ports;
    struct {
        LV2_Atom_Sequence *seq;
        int output;
    } atoms[MAX_ATOM_PORTS];
    int n_atoms;
    LV2_URID seq_urid, chunk_urid;
    float rate;
    int32_t block;
    LV2_Options_Option options[5];
    LV2_Feature f_map, f_unmap, f_options, f_bounded, f_fixed, f_pow2;
    const LV2_Feature *features[7];
    int64_t run_since_ns; /* 0 when not inside run() (atomic: the watchdog reads it) */
    struct lathe_lv2_instance *next;
};

/* ---- URID map: one table for the process, as plugins may share URIDs through the host ---- */

static pthread_mutex_t urid_lock = PTHREAD_MUTEX_INITIALIZER;
static char **urids;
static uint32_t n_urids, cap_urids;

static LV2_URID urid_map(LV2_URID_Map_Handle h, const char *uri)
{
    LV2_URID id = 0;
    pthread_mutex_lock(&urid_lock);
    for (uint32_t i = 0; i < n_urids && !id; i++)
        if (strcmp(urids[i], uri) == 0)
            id = i + 1;
    if (!id && n_urids == cap_urids) {
        uint32_t cap = cap_urids ? cap_urids * 2 : 64;
        char **t = realloc(urids, cap * sizeof *t);
        if (t) {
            urids = t;
            cap_urids = cap;
        }
    }
    if (!id && n_urids < cap_urids && (urids[n_urids] = strdup(uri)))
        id = ++n_urids;
    pthread_mutex_unlock(&urid_lock);
    return id; /* 0 when out of memory: LV2's "no URID" */
}

/* The strings never move once mapped: a plugin may keep what unmap returns. */
static const char *urid_unmap(LV2_URID_Unmap_Handle h, LV2_URID id)
{
    pthread_mutex_lock(&urid_lock);
    const char *uri = id >= 1 && id <= n_urids ? urids[id - 1] : NULL;
    pthread_mutex_unlock(&urid_lock);
    return uri;
}

static LV2_URID_Map urid_map_feature = {NULL, urid_map};
static LV2_URID_Unmap urid_unmap_feature = {NULL, urid_unmap};

/* ---- Watchdog: a plugin that does not return from run() cannot be stopped from inside the
 * process (its thread cannot be cancelled safely), so lathe says which plugin hung and exits.
 * The output being written stays a temporary file; no final path is touched. ---- */

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t wd_once = PTHREAD_ONCE_INIT;
static lathe_lv2_instance *wd_list;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *watchdog(void *arg)
{
    const char *env = getenv("LATHE_LV2_WATCHDOG_S"); /* tests shorten the wait */
    int64_t limit = (int64_t)(env && atoi(env) > 0 ? atoi(env) : LATHE_LV2_WATCHDOG_S) * 1000000000;
    for (;;) {
        sleep(1);
        pthread_mutex_lock(&wd_lock);
        for (lathe_lv2_instance *in = wd_list; in; in = in->next) {
            int64_t since = __atomic_load_n(&in->run_since_ns, __ATOMIC_ACQUIRE);
            if (since && now_ns() - since > limit) {
                fprintf(stderr, "lathe: LV2 plugin %s hung: run() has not returned for %lld s "
                                "(stopped; no output file was completed)\n",
                        in->uri, (long long)(limit / 1000000000));
                _exit(2);
            }
        }
        pthread_mutex_unlock(&wd_lock);
    }
    return arg;
}

static void start_watchdog(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, watchdog, NULL) == 0)
        pthread_detach(t);
}

/* ---- Describing plugins ---- */

static int int_value(LilvWorld *w, const LilvPlugin *lp, const char *pred)
{
    LilvNode *p = lilv_new_uri(w, pred);
    LilvNode *v = lilv_world_get(w, lilv_plugin_get_uri(lp), p, NULL);
    int r = v && lilv_node_is_int(v) ? lilv_node_as_int(v) : -1;
    lilv_node_free(v);
    lilv_node_free(p);
    return r;
}

/* What lathe gives an instance (or, for inPlaceBroken and hardRTCapable, honours by construction:
 * separate buffers, no blocking in its thread). */
static const char *const provided[] = {
    LV2_URID__map, LV2_URID__unmap, LV2_OPTIONS__options, LV2_BUF_SIZE__boundedBlockLength,
    LV2_BUF_SIZE__fixedBlockLength, LV2_BUF_SIZE__powerOf2BlockLength, LV2_CORE__inPlaceBroken,
    LV2_CORE__hardRTCapable, LV2_CORE__isLive, NULL};

static void missing_feature(const LilvPlugin *lp, char *buf, size_t n)
{
    LilvNodes *req = lilv_plugin_get_required_features(lp);
    buf[0] = 0;
    LILV_FOREACH (nodes, i, req) {
        const char *f = lilv_node_as_uri(lilv_nodes_get(req, i));
        int ok = 0;
        for (int k = 0; provided[k] && !ok; k++)
            ok = strcmp(provided[k], f) == 0;
        if (!ok && !buf[0])
            snprintf(buf, n, "the feature %s", f);
    }
    lilv_nodes_free(req);
}

/* "dB" for units:db and the like; the URI's tail otherwise. */
static void unit_label(const LilvNode *unit, char *buf, size_t n)
{
    static const char *const labels[][2] = {{"db", "dB"}, {"hz", "Hz"}, {"khz", "kHz"}, {"ms", "ms"},
                                            {"s", "s"}, {"frame", "frames"}, {"pc", "%"},
                                            {"coef", "coef"}, {"bpm", "BPM"}, {"cent", "cents"}};
    const char *u = unit && lilv_node_is_uri(unit) ? lilv_node_as_uri(unit) : "";
    const char *tail = strrchr(u, '#') ? strrchr(u, '#') + 1 : u;
    snprintf(buf, n, "%s", tail);
    for (size_t i = 0; i < sizeof labels / sizeof labels[0]; i++)
        if (strcmp(tail, labels[i][0]) == 0)
            snprintf(buf, n, "%s", labels[i][1]);
}

static int port_has(LilvWorld *w, const LilvPlugin *lp, const LilvPort *port, const char *prop)
{
    LilvNode *p = lilv_new_uri(w, prop);
    int r = lilv_port_has_property(lp, port, p);
    lilv_node_free(p);
    return r;
}

static int port_is(LilvWorld *w, const LilvPlugin *lp, const LilvPort *port, const char *cls)
{
    LilvNode *c = lilv_new_uri(w, cls);
    int r = lilv_port_is_a(lp, port, c);
    lilv_node_free(c);
    return r;
}

static void describe_port(LilvWorld *w, const LilvPlugin *lp, uint32_t i, lathe_lv2_port *out)
{
    const LilvPort *port = lilv_plugin_get_port_by_index(lp, i);
    int input = port_is(w, lp, port, LV2_CORE__InputPort);
    out->index = i;
    if (port_is(w, lp, port, LV2_CORE__AudioPort))
        out->kind = input ? LATHE_LV2_AUDIO_IN : LATHE_LV2_AUDIO_OUT;
    else if (port_is(w, lp, port, LV2_CORE__ControlPort))
        out->kind = input ? LATHE_LV2_CONTROL_IN : LATHE_LV2_CONTROL_OUT;
    else if (port_is(w, lp, port, LV2_ATOM__AtomPort))
        out->kind = input ? LATHE_LV2_ATOM_IN : LATHE_LV2_ATOM_OUT;
    else
        out->kind = LATHE_LV2_OTHER;
    snprintf(out->symbol, sizeof out->symbol, "%s", lilv_node_as_string(lilv_port_get_symbol(lp, port)));
    LilvNode *name = lilv_port_get_name(lp, port);
    snprintf(out->name, sizeof out->name, "%s", name ? lilv_node_as_string(name) : "");
    lilv_node_free(name);
    LilvNode *def, *min, *max;
    lilv_port_get_range(lp, port, &def, &min, &max);
    out->def = def ? lilv_node_as_float(def) : NAN;
    out->min = min ? lilv_node_as_float(min) : NAN;
    out->max = max ? lilv_node_as_float(max) : NAN;
    lilv_node_free(def);
    lilv_node_free(min);
    lilv_node_free(max);
    LilvNode *unit_pred = lilv_new_uri(w, LV2_UNITS__unit);
    LilvNodes *units = lilv_port_get_value(lp, port, unit_pred);
    unit_label(units ? lilv_nodes_get_first(units) : NULL, out->unit, sizeof out->unit);
    lilv_nodes_free(units);
    lilv_node_free(unit_pred);
    out->toggled = port_has(w, lp, port, LV2_CORE__toggled);
    out->integer = port_has(w, lp, port, LV2_CORE__integer);
    out->optional = port_has(w, lp, port, LV2_CORE__connectionOptional);
    out->reports_latency = out->kind == LATHE_LV2_CONTROL_OUT && lilv_plugin_has_latency(lp)
                           && lilv_plugin_get_latency_port_index(lp) == i;
}

/* ---- Instances ---- */

static void set_options(lathe_lv2_instance *in, double rate)
{
    LV2_URID i32 = urid_map(NULL, LV2_ATOM__Int), f32 = urid_map(NULL, LV2_ATOM__Float);
    in->rate = (float)rate;
    in->block = LATHE_LV2_BLOCK;
    const char *keys[] = {LV2_BUF_SIZE__minBlockLength, LV2_BUF_SIZE__maxBlockLength,
                          LV2_BUF_SIZE__nominalBlockLength};
    for (int k = 0; k < 3; k++)
        in->options[k] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, urid_map(NULL, keys[k]),
                                              sizeof(int32_t), i32, &in->block};
    in->options[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                          urid_map(NULL, LV2_PARAMETERS__sampleRate),
                                          sizeof(float), f32, &in->rate};
    in->options[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    in->f_map = (LV2_Feature){LV2_URID__map, &urid_map_feature};
    in->f_unmap = (LV2_Feature){LV2_URID__unmap, &urid_unmap_feature};
    in->f_options = (LV2_Feature){LV2_OPTIONS__options, in->options};
    in->f_bounded = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    in->f_fixed = (LV2_Feature){LV2_BUF_SIZE__fixedBlockLength, NULL};
    in->f_pow2 = (LV2_Feature){LV2_BUF_SIZE__powerOf2BlockLength, NULL};
    const LV2_Feature *f[] = {&in->f_map,   &in->f_unmap, &in->f_options, &in->f_bounded,
                              &in->f_fixed, &in->f_pow2,  NULL};
    memcpy(in->features, f, sizeof f);
}

/* [locked] Control ports at their defaults (the minimum when none is given), atom ports on
 * buffers of the instance, optional ports on nothing. */
static int connect_own(lathe_lv2_instance *in, const lathe_lv2_plugin *p)
{
    for (uint32_t i = 0; i < p->n_ports; i++) {
        const lathe_lv2_port *pt = &p->ports[i];
        if (pt->kind == LATHE_LV2_CONTROL_IN || pt->kind == LATHE_LV2_CONTROL_OUT) {
            in->controls[i] = (float)(!isnan(pt->def) ? pt->def : !isnan(pt->min) ? pt->min : 0.0);
            lilv_instance_connect_port(in->li, i, &in->controls[i]);
        } else if (pt->kind == LATHE_LV2_ATOM_IN || pt->kind == LATHE_LV2_ATOM_OUT) {
            if (in->n_atoms == MAX_ATOM_PORTS)
                return LATHE_ERR_PARAM;
            LV2_Atom_Sequence *seq = lathe_calloc(1, ATOM_CAPACITY);
            if (!seq)
                return LATHE_ERR_NOMEM;
            in->atoms[in->n_atoms].seq = seq;
            in->atoms[in->n_atoms++].output = pt->kind == LATHE_LV2_ATOM_OUT;
            lilv_instance_connect_port(in->li, i, seq);
        } else if (pt->kind == LATHE_LV2_OTHER) {
            if (!pt->optional)
                return LATHE_ERR_PARAM;
            lilv_instance_connect_port(in->li, i, NULL);
        }
    }
    return LATHE_OK;
}

static void host_free(lathe_lv2_instance *in)
{
    pthread_mutex_lock(&wd_lock);
    for (lathe_lv2_instance **at = &wd_list; *at; at = &(*at)->next)
        if (*at == in) {
            *at = in->next;
            break;
        }
    pthread_mutex_unlock(&wd_lock);
    if (in->li) {
        lilv_instance_deactivate(in->li);
        lilv_instance_free(in->li);
    }
    for (int k = 0; k < in->n_atoms; k++)
        lathe_dealloc(in->atoms[k].seq);
    lathe_dealloc(in->controls);
    lathe_dealloc(in);
}

/* [locked] */
static int instantiate(const LilvPlugin *lp, const lathe_lv2_plugin *p, double rate,
                       lathe_lv2_instance **out)
{
    lathe_lv2_instance *in = lathe_calloc(1, sizeof *in);
    if (!in)
        return LATHE_ERR_NOMEM;
    snprintf(in->uri, sizeof in->uri, "%s", p->uri);
    in->n_ports = p->n_ports;
    in->seq_urid = urid_map(NULL, LV2_ATOM__Sequence);
    in->chunk_urid = urid_map(NULL, LV2_ATOM__Chunk);
    set_options(in, rate);
    in->controls = lathe_calloc(p->n_ports ? p->n_ports : 1, sizeof *in->controls);
    in->li = in->controls ? lilv_plugin_instantiate(lp, rate, in->features) : NULL;
    /* Keep the library loaded when lilv lets go of it: instances come and go during planning,
     * and what a plugin leaks stays attributable to it in sanitizer reports. */
    if (in->li)
        (void)dlopen(p->library, RTLD_NOW | RTLD_NOLOAD);
    int rc = !in->controls ? LATHE_ERR_NOMEM : !in->li ? LATHE_ERR_PARAM : connect_own(in, p);
    if (rc != LATHE_OK) {
        if (in->li)
            lilv_instance_free(in->li);
        in->li = NULL;
        host_free(in);
        return rc;
    }
    pthread_once(&wd_once, start_watchdog);
    pthread_mutex_lock(&wd_lock);
    in->next = wd_list;
    wd_list = in;
    pthread_mutex_unlock(&wd_lock);
    *out = in;
    return LATHE_OK;
}

float *lathe_lv2_instance_control(lathe_lv2_instance *in, uint32_t index)
{
    return &in->controls[index];
}

void lathe_lv2_instance_connect(lathe_lv2_instance *in, uint32_t index, float *buf)
{
    lilv_instance_connect_port(in->li, index, buf);
}

void lathe_lv2_instance_activate(lathe_lv2_instance *in)
{
    lilv_instance_activate(in->li);
}

void lathe_lv2_instance_restart(lathe_lv2_instance *in)
{
    lilv_instance_deactivate(in->li);
    lilv_instance_activate(in->li);
}

void lathe_lv2_instance_run(lathe_lv2_instance *in)
{
    for (int k = 0; k < in->n_atoms; k++) { /* inputs: no events; outputs: room to write */
        LV2_Atom_Sequence *s = in->atoms[k].seq;
        s->atom.size = in->atoms[k].output ? ATOM_CAPACITY - sizeof(LV2_Atom)
                                           : sizeof(LV2_Atom_Sequence_Body);
        s->atom.type = in->atoms[k].output ? in->chunk_urid : in->seq_urid;
        s->body.unit = 0;
        s->body.pad = 0;
    }
    __atomic_store_n(&in->run_since_ns, now_ns(), __ATOMIC_RELEASE);
    lilv_instance_run(in->li, LATHE_LV2_BLOCK);
    __atomic_store_n(&in->run_since_ns, 0, __ATOMIC_RELEASE);
}

int lathe_lv2_available(void) { return 1; }

static pthread_mutex_t world_lock = PTHREAD_MUTEX_INITIALIZER;
static LilvWorld *world;

/* [locked] The world, loaded once from LV2_PATH (lilv's default search path without it). */
static LilvWorld *get_world(void)
{
    if (!world) {
        world = lilv_world_new();
        if (world)
            lilv_world_load_all(world);
    }
    return world;
}

static int refused_error(char *err, size_t n)
{
    snprintf(err, n, "LV2 plugins are refused here (--no-plugins)");
    return LATHE_ERR_PARAM;
}

static int by_uri(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int lathe_lv2_list(void (*fn)(void *ud, const char *uri, const char *name), void *ud, char *err,
                   size_t n)
{
    pthread_mutex_lock(&world_lock);
    LilvWorld *w = get_world();
    const LilvPlugins *all = w ? lilv_world_get_all_plugins(w) : NULL;
    unsigned count = all ? lilv_plugins_size(all) : 0, k = 0;
    const char **uris = lathe_calloc(count ? count : 1, sizeof *uris);
    if (!uris) {
        pthread_mutex_unlock(&world_lock);
        snprintf(err, n, "out of memory");
        return LATHE_ERR_NOMEM;
    }
    LILV_FOREACH (plugins, i, all)
        uris[k++] = lilv_node_as_uri(lilv_plugin_get_uri(lilv_plugins_get(all, i)));
    qsort(uris, k, sizeof *uris, by_uri);
    for (unsigned i = 0; i < k; i++) {
        LilvNode *u = lilv_new_uri(w, uris[i]);
        const LilvPlugin *p = lilv_plugins_get_by_uri(all, u);
        LilvNode *name = p ? lilv_plugin_get_name(p) : NULL;
        fn(ud, uris[i], name ? lilv_node_as_string(name) : "");
        lilv_node_free(name);
        lilv_node_free(u);
    }
    lathe_dealloc(uris);
    pthread_mutex_unlock(&world_lock);
    return (int)k;
}

/* [locked] The installed URI sharing the longest prefix with a misspelt one (a plugin's
 * variants differ in their tail: dpl#mono, dpl#stereo), when it shares most of it. */
static const char *closest_uri(const LilvPlugins *all, const char *uri)
{
    const char *best = NULL;
    size_t best_len = 0;
    LILV_FOREACH (plugins, i, all) {
        const char *u = lilv_node_as_uri(lilv_plugin_get_uri(lilv_plugins_get(all, i)));
        size_t k = 0;
        while (u[k] && u[k] == uri[k])
            k++;
        if (k > best_len) {
            best_len = k;
            best = u;
        }
    }
    return best_len * 2 >= strlen(uri) ? best : NULL;
}

static uint64_t hash_file(const char *path, int *ok)
{
    FILE *f = fopen(path, "rb");
    XXH3_state_t *st = XXH3_createState();
    char buf[65536];
    size_t got;
    *ok = f && st;
    if (*ok) {
        XXH3_64bits_reset(st);
        while ((got = fread(buf, 1, sizeof buf, f)) > 0)
            XXH3_64bits_update(st, buf, got);
        *ok = !ferror(f);
    }
    uint64_t h = *ok ? XXH3_64bits_digest(st) : 0;
    if (f)
        fclose(f);
    XXH3_freeState(st);
    return h;
}

/* [locked] The plugin's description, copied out of the world. */
static int describe(LilvWorld *w, const LilvPlugin *lp, lathe_lv2_plugin *p, char *err, size_t n)
{
    snprintf(p->uri, sizeof p->uri, "%s", lilv_node_as_uri(lilv_plugin_get_uri(lp)));
    LilvNode *name = lilv_plugin_get_name(lp);
    snprintf(p->name, sizeof p->name, "%s", name ? lilv_node_as_string(name) : "");
    lilv_node_free(name);
    p->minor = int_value(w, lp, LV2_CORE__minorVersion);
    p->micro = int_value(w, lp, LV2_CORE__microVersion);
    char *lib = lilv_file_uri_parse(lilv_node_as_uri(lilv_plugin_get_library_uri(lp)), NULL);
    snprintf(p->library, sizeof p->library, "%s", lib ? lib : "");
    lilv_free(lib);
    int ok;
    p->library_hash = hash_file(p->library, &ok);
    if (!ok) {
        snprintf(err, n, "plugin %s: cannot read its binary %s", p->uri, p->library);
        return LATHE_ERR_IO;
    }
    missing_feature(lp, p->missing_feature, sizeof p->missing_feature);
    p->n_ports = lilv_plugin_get_num_ports(lp);
    p->ports = lathe_calloc(p->n_ports ? p->n_ports : 1, sizeof *p->ports);
    if (!p->ports)
        return LATHE_ERR_NOMEM;
    p->latency_port = -1;
    for (uint32_t i = 0; i < p->n_ports; i++) {
        describe_port(w, lp, i, &p->ports[i]);
        p->n_audio_in += p->ports[i].kind == LATHE_LV2_AUDIO_IN;
        p->n_audio_out += p->ports[i].kind == LATHE_LV2_AUDIO_OUT;
        if (p->ports[i].reports_latency && p->latency_port < 0)
            p->latency_port = (int)i;
    }
    return LATHE_OK;
}

int lathe_lv2_plugin_get(const char *uri, lathe_lv2_plugin **out, char *err, size_t n)
{
    if (refused)
        return refused_error(err, n);
    lathe_lv2_plugin *p = lathe_calloc(1, sizeof *p);
    if (!p)
        return LATHE_ERR_NOMEM;
    pthread_mutex_lock(&world_lock);
    int rc = LATHE_ERR_PARAM;
    LilvWorld *w = get_world();
    const LilvPlugins *all = w ? lilv_world_get_all_plugins(w) : NULL;
    LilvNode *u = w ? lilv_new_uri(w, uri) : NULL;
    const LilvPlugin *lp = all && u ? lilv_plugins_get_by_uri(all, u) : NULL;
    if (lp) {
        rc = describe(w, lp, p, err, n);
    } else {
        const char *s = all ? closest_uri(all, uri) : NULL;
        if (s)
            snprintf(err, n, "no LV2 plugin '%s' installed (did you mean '%s'?)", uri, s);
        else
            snprintf(err, n, "no LV2 plugin '%s' installed in LV2_PATH (`lathe plugins` lists them)",
                     uri);
    }
    lilv_node_free(u);
    pthread_mutex_unlock(&world_lock);
    if (rc != LATHE_OK) {
        lathe_lv2_plugin_free(p);
        return rc;
    }
    *out = p;
    return LATHE_OK;
}

int lathe_lv2_instance_new(const lathe_lv2_plugin *p, double rate, lathe_lv2_instance **out,
                           char *err, size_t n)
{
    if (refused)
        return refused_error(err, n);
    if (p->missing_feature[0]) {
        snprintf(err, n, "plugin %s requires %s, which lathe does not provide", p->uri,
                 p->missing_feature);
        return LATHE_ERR_PARAM;
    }
    pthread_mutex_lock(&world_lock);
    LilvWorld *w = get_world();
    LilvNode *u = w ? lilv_new_uri(w, p->uri) : NULL;
    const LilvPlugin *lp = u ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(w), u) : NULL;
    int rc = lp ? instantiate(lp, p, rate, out)
                : LATHE_ERR_PARAM;
    lilv_node_free(u);
    pthread_mutex_unlock(&world_lock);
    if (rc != LATHE_OK)
        snprintf(err, n, "plugin %s could not be instantiated at %g Hz", p->uri, rate);
    return rc;
}

void lathe_lv2_instance_free(lathe_lv2_instance *in)
{
    if (!in)
        return;
    pthread_mutex_lock(&world_lock); /* unloading a library touches lilv's shared state */
    host_free(in);
    pthread_mutex_unlock(&world_lock);
}

#endif

/* lv2_world.h - LV2 hosting through lilv: the installed plugins (only those lilv finds in
 * LV2_PATH, never a path from a script), one plugin's ports, and instances run with a fixed
 * block length. Without lilv at build time every call reports that LV2 support is missing.
 *
 * Threading: every function is [main] except lathe_lv2_instance_run [rt]. lilv's world is not
 * thread-safe, so it is guarded by one lock; instances of different nodes may run at once. */
#ifndef LATHE_LV2_WORLD_H
#define LATHE_LV2_WORLD_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one block length plugins are run with (fixedBlockLength, a power of two): the output
 * then cannot depend on how the engine cuts the stream. */
#define LATHE_LV2_BLOCK 1024
/* A run() call of one block that takes longer than this is a hung plugin (see the watchdog). */
#define LATHE_LV2_WATCHDOG_S 30

typedef enum lathe_lv2_port_kind {
    LATHE_LV2_AUDIO_IN,
    LATHE_LV2_AUDIO_OUT,
    LATHE_LV2_CONTROL_IN,
    LATHE_LV2_CONTROL_OUT,
    LATHE_LV2_ATOM_IN,  /* given an empty event sequence each block */
    LATHE_LV2_ATOM_OUT, /* given a buffer whose content is ignored */
    LATHE_LV2_OTHER     /* CV and unknown types: allowed only when connectionOptional */
} lathe_lv2_port_kind;

typedef struct lathe_lv2_port {
    uint32_t index;
    lathe_lv2_port_kind kind;
    char symbol[64];
    char name[96];
    char unit[32];          /* "dB", "ms", "" ... */
    double def, min, max;   /* NAN where the plugin states none */
    int toggled, integer;
    int reports_latency;    /* the control output carrying the plugin's latency in frames */
    int optional;           /* lv2:connectionOptional */
} lathe_lv2_port;

typedef struct lathe_lv2_plugin {
    char uri[256];
    char name[128];
    int minor, micro;        /* lv2:minorVersion / lv2:microVersion, -1 when absent */
    char library[1024];      /* the shared object's path */
    uint64_t library_hash;   /* XXH3-64 of its bytes */
    lathe_lv2_port *ports;
    uint32_t n_ports;
    int n_audio_in, n_audio_out;
    int latency_port;        /* index into ports, or -1 */
    char missing_feature[160]; /* a required feature lathe does not provide, or "" */
} lathe_lv2_plugin;

typedef struct lathe_lv2_instance lathe_lv2_instance;

/* 1 when lathe was built with lilv. */
int lathe_lv2_available(void);
/* --no-plugins: after lathe_lv2_refuse(), every lookup fails with a message saying so. */
void lathe_lv2_refuse(void);

/* Calls fn for every installed plugin, sorted by URI. Returns the count, or a negative status
 * with a message in err. */
int lathe_lv2_list(void (*fn)(void *ud, const char *uri, const char *name), void *ud, char *err,
                   size_t n);
/* Looks up an installed plugin by URI (with "did you mean" when absent). Caller frees. */
int lathe_lv2_plugin_get(const char *uri, lathe_lv2_plugin **out, char *err, size_t n);
void lathe_lv2_plugin_free(lathe_lv2_plugin *p);
/* The port with this symbol among control inputs, or NULL. */
const lathe_lv2_port *lathe_lv2_find_control(const lathe_lv2_plugin *p, const char *symbol);

/* A new instance at `rate` with every control input at its default, atom ports connected to
 * buffers of its own and optional ports to nothing; audio ports are the caller's to connect. */
int lathe_lv2_instance_new(const lathe_lv2_plugin *p, double rate, lathe_lv2_instance **out,
                           char *err, size_t n);
/* The control value of port index (inputs: set before run; outputs: read after). */
float *lathe_lv2_instance_control(lathe_lv2_instance *in, uint32_t index);
void lathe_lv2_instance_connect(lathe_lv2_instance *in, uint32_t index, float *buf);
void lathe_lv2_instance_activate(lathe_lv2_instance *in);
/* Deactivates and activates again: LV2's way back to the initial state. */
void lathe_lv2_instance_restart(lathe_lv2_instance *in);
/* [rt] Runs one block of LATHE_LV2_BLOCK frames under the watchdog. */
void lathe_lv2_instance_run(lathe_lv2_instance *in);
void lathe_lv2_instance_free(lathe_lv2_instance *in);

#ifdef __cplusplus
}
#endif
#endif

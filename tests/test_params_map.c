/* The LATHE_P_MAP parameter type (a node's `controls = {name = number, ...}` whose names the
 * node checks itself): entries kept sorted so the cache key does not depend on Lua's table
 * order, replaced not duplicated, bounded, finite, and visible in dumps (for `why`) and labels.
 * Then the whole-struct check lathe_graph_add_node runs for hosts that fill params in C. */
#include "testutil.h"

#include "cache/cache_key.h"
#include "engine/params.h"
#include "lathe/lathe.h"
#include "nodes/registry.h"

#include <math.h>
#include <string.h>

typedef struct {
    lathe_named_number controls[3];
    int n_controls;
} map_params;

static const lathe_param table[] = {LATHE_MAP(map_params, controls, "test"), LATHE_PARAM_END};

static lathe_key key_of(const map_params *p)
{
    lathe_key_builder kb;
    lathe_key_builder_init(&kb);
    lathe_params_hash(table, p, &kb);
    return lathe_key_builder_finish(&kb);
}

static void put(map_params *p, const char *name, double v)
{
    char err[LATHE_ERR_MAX];
    CHECK(lathe_param_put_named(&table[0], p, name, v, err, sizeof err) == LATHE_OK, "put %s: %s",
          name, err);
}

/* A C host fills the struct itself: add_node refuses what the Lua setters would have. */
static void check_add_node(void)
{
    lathe_graph *g;
    lathe_graph_new(&g);
    const lathe_node_desc *sine = lathe_registry_find("sine"), *gain = lathe_registry_find("gain"),
                          *lim = lathe_registry_find("limit");
    unsigned char sp[4096], gp[1024], lp[4096];
    lathe_params_defaults(sine->params, sp);
    lathe_params_defaults(gain->params, gp);
    lathe_params_defaults(lim->params, lp);
    lathe_node_id s, n;
    CHECK(lathe_graph_add_node(g, sine, sp, NULL, 0, NULL, &s) == LATHE_OK, "sine with defaults: %s",
          lathe_graph_error(g));
    CHECK(lathe_graph_add_node(g, gain, gp, &s, 1, "host.c:1", &n) == LATHE_OK, "gain with defaults");
    double *gain_db = (double *)(gp + lathe_params_find(gain->params, "gain_db")->offset);
    *gain_db = NAN;
    CHECK(lathe_graph_add_node(g, gain, gp, &s, 1, "host.c:2", &n) == LATHE_ERR_PARAM
              && strstr(lathe_graph_error(g), "host.c:2: gain: gain_db nan out of range"),
          "NaN refused with where and what: %s", lathe_graph_error(g));
    *gain_db = 200.0;
    CHECK(lathe_graph_add_node(g, gain, gp, &s, 1, NULL, &n) == LATHE_ERR_PARAM
              && strstr(lathe_graph_error(g), "gain_db 200 out of range [-120, 60]"),
          "out of range refused: %s", lathe_graph_error(g));
    int *release = (int *)(lp + lathe_params_find(lim->params, "release")->offset);
    *release = 7;
    CHECK(lathe_graph_add_node(g, lim, lp, &s, 1, NULL, &n) == LATHE_ERR_PARAM
              && strstr(lathe_graph_error(g), "release: choice 7"),
          "an enum index past its names refused: %s", lathe_graph_error(g));
    lathe_graph_free(g);
}

int main(void)
{
    check_add_node();
    map_params a, b;
    char err[LATHE_ERR_MAX], buf[1024] = "";
    lathe_params_defaults(table, &a);
    lathe_params_defaults(table, &b);
    CHECK(a.n_controls == 0, "defaults: empty");
    put(&a, "threshold", -1);
    put(&a, "enable", 1);
    put(&b, "enable", 1);
    put(&b, "threshold", -3);
    put(&b, "threshold", -1); /* replaces */
    CHECK(b.n_controls == 2 && strcmp(b.controls[0].name, "enable") == 0, "sorted by name, no duplicate");
    CHECK(lathe_key_equal(key_of(&a), key_of(&b)), "same entries in another order: same key");
    put(&b, "threshold", -2);
    CHECK(!lathe_key_equal(key_of(&a), key_of(&b)), "another value: another key");
    put(&a, "gain", 0);
    CHECK(lathe_param_put_named(&table[0], &a, "release", 0.1, err, sizeof err) == LATHE_ERR_PARAM
              && strstr(err, "at most 3"), "bounded: %s", err);
    CHECK(lathe_param_put_named(&table[0], &a, "gain", NAN, err, sizeof err) == LATHE_ERR_PARAM
              && strstr(err, "controls.gain must be a finite number"), "finite: %s", err);
    char longname[100];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = 0;
    CHECK(lathe_param_put_named(&table[0], &a, longname, 1, err, sizeof err) == LATHE_ERR_PARAM,
          "names longer than %d bytes refused", LATHE_NAME_MAX - 1);
    CHECK(lathe_params_validate(table, &a, err, sizeof err) == LATHE_OK, "a valid map passes: %s", err);
    a.n_controls = 4;
    CHECK(lathe_params_validate(table, &a, err, sizeof err) == LATHE_ERR_PARAM && strstr(err, "at most 3"),
          "a count past the array refused: %s", err);
    a.n_controls = 3;
    a.controls[1].value = INFINITY;
    CHECK(lathe_params_validate(table, &a, err, sizeof err) == LATHE_ERR_PARAM && strstr(err, "entry 2"),
          "a non-finite entry refused: %s", err);
    a.controls[1].value = 0;
    lathe_params_dump(table, &a, "", buf, sizeof buf);
    CHECK(strcmp(buf, "controls.enable=1\ncontrols.gain=0\ncontrols.threshold=-1\n") == 0,
          "dump, one line per entry (for `why`): %s", buf);
    lathe_params_summary(table, &a, buf, sizeof buf);
    CHECK(strcmp(buf, "controls={enable=1,gain=0,threshold=-1}") == 0, "label: %s", buf);
    const char *names[] = {"threshold", "release", "truepeak"};
    CHECK(lathe_suggest_name("threshhold", names, 3) == names[0], "did you mean threshold");
    CHECK(lathe_suggest_name("zzz", names, 3) == NULL, "nothing close: no suggestion");
    return tu_done();
}

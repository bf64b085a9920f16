/* The LATHE_P_MAP parameter type (a node's `controls = {name = number, ...}` whose names the
 * node checks itself): entries kept sorted so the cache key does not depend on Lua's table
 * order, replaced not duplicated, bounded, finite, and visible in dumps (for `why`) and labels. */
#include "testutil.h"

#include "cache/cache_key.h"
#include "engine/params.h"

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

int main(void)
{
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

/* The render cache as a user meets it: a warm re-render runs no DSP, a tweak to one branch runs
 * only that branch, outputs are byte-identical to a cold render and to --no-cache, and corrupt
 * entries are recomputed. Counts come from `lathe render --json`. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <jansson.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char dir[512];
static const char *bin;

/* Runs a render with --json; returns nodes_run (-1 on failure) and the names of nodes run. */
static int render(const char *extra, char *ran, size_t size)
{
    char out[1024];
    snprintf(out, sizeof out, "%s/run.json", dir);
    int rc = tu_run("cd %s && %s render album.lua -o out --cache cache --json %s >%s 2>%s/err.txt",
                    dir, bin, extra, out, dir);
    if (rc != 0)
        return -1;
    json_t *j = json_load_file(out, 0, NULL);
    if (!j)
        return -1;
    int n = (int)json_integer_value(json_object_get(j, "nodes_run"));
    if (ran)
        ct_nodes_ran(j, ran, size);
    json_decref(j);
    return n;
}

static int same_outputs(const char *ref)
{
    return tu_run("cd %s && for f in a.wav b.wav c.flac; do cmp -s out/$f %s/$f || exit 1; done", dir, ref) == 0;
}

/* Writes a script into the scratch folder. */
static void put(const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

int main(void)
{
    bin = getenv("LATHE_BIN");
    tu_tmpdir(dir, sizeof dir);
    put("gen.lua", "output(mix(noise{duration_s = 6, color = 'pink', amplitude_db = -20, seed = 3},\n"
                   "           sine{freq_hz = 220, duration_s = 6, amplitude_db = -12}), 'in.wav', {bits = 24})\n");
    put("album.lua", "local m = source('in.wav'):eq{ {type = 'bell', freq_hz = 300, gain_db = -2, q = 1} }\n"
                     "                          :compress{threshold_db = -24, ratio = 2}\n"
                     "output(m:limit{ceiling_dbtp = -1}, 'a.wav', {bits = 24})\n"
                     "output(m:resample{rate = 44100}:limit{ceiling_dbtp = -0.3}:dither{bits = 16}, 'b.wav', {bits = 16})\n"
                     "output(m:loudness{target_lufs = param('target', -16), ceiling_dbtp = -1}, 'c.flac', {bits = 24})\n");
    CHECK(tu_run("cd %s && %s render gen.lua -q --no-cache", dir, bin) == 0, "make the input");

    char ran[1024];
    int cold = render("", ran, sizeof ran);
    CHECK(cold == 7, "cold render runs every DSP node (%d: %s)", cold, ran);
    tu_run("cd %s && mkdir ref && cp out/* ref/", dir);

    CHECK(render("", ran, sizeof ran) == 0, "warm re-render with no change runs no node (ran: %s)", ran);
    CHECK(tu_run("cd %s && grep -q '\"skipped\": true' run.json && grep -q '\"integrated_lufs\": -' run.json", dir) == 0,
          "outputs left alone still report their measured analysis in --json");
    CHECK(same_outputs("ref"), "outputs left as they were");

    int tweak = render("-D target=-14", ran, sizeof ran);
    CHECK(tweak == 1 && strcmp(ran, "loudness ") == 0,
          "changing the loudness target runs only the loudness node (%d: %s)", tweak, ran);
    CHECK(tu_run("cd %s && grep -q 'changed: target_lufs -16 -> -14' run.json", dir) == 0,
          "the run log names the parameter that changed and its old and new value");
    CHECK(tu_run("cd %s && cmp -s out/a.wav ref/a.wav && cmp -s out/b.wav ref/b.wav && ! cmp -s out/c.flac ref/c.flac", dir) == 0,
          "only the streaming output changed");
    CHECK(tu_run("cd %s && grep -q '\"input_remembered\": 1' run.json && grep -q '\"gain_db\"' run.json", dir) == 0,
          "the loudness node reports its gain, and took its input's loudness from the first run");
    CHECK(tu_run("cd %s && grep -q '\"peaks_remembered\": 1' run.json", dir) == 0,
          "and its limiter read the main stage's peaks the first run detected");
    CHECK(tu_run("cd %s && mkdir cold14 && %s render album.lua -o cold14 --cache cache14 -q -D target=-14 "
                 "&& cmp -s cold14/c.flac out/c.flac && rm -rf cold14 cache14", dir, bin) == 0,
          "the re-render with the remembered input equals a cold render of the new target byte for byte");
    CHECK(render("-D target=-26", ran, sizeof ran) == 1 &&
              tu_run("cd %s && grep -q '\"peaks_remembered\": 1' run.json", dir) == 0,
          "a target 10 dB quieter than the first reads the same peaks (%s)", ran);
    /* The streaming file took the loudness node's output as the search rendered it: the output
     * itself is not stored (one consumer), its analysis is. */
    CHECK(render("", ran, sizeof ran) == 1 && strcmp(ran, "loudness ") == 0,
          "back to the first target: only the loudness node runs again (%s)", ran);
    CHECK(same_outputs("ref"), "and reproduces the first render byte for byte");

    tu_run("cd %s && rm out/*", dir);
    int rerun = render("", ran, sizeof ran);
    CHECK(rerun >= 1 && strstr(ran, "eq") == NULL && strstr(ran, "compress") == NULL,
          "deleted outputs are rebuilt from the cached branch point, not from the source (%s)", ran);
    CHECK(same_outputs("ref"), "rebuilt outputs equal the cold render byte for byte");

    CHECK(tu_run("cd %s && mkdir nc && %s render album.lua -o nc --no-cache -q && for f in a.wav b.wav c.flac; do cmp -s nc/$f ref/$f || exit 1; done", dir, bin) == 0,
          "--no-cache render is byte-identical to the cached one");

    /* Corrupt every audio entry and blob: flip one byte in the middle of each. */
    tu_run("cd %s && find cache -type f \\( -name '*.a' -o -name '*.b' \\) | while read e; do "
           "s=$(stat -c %%s \"$e\"); printf '\\377' | dd of=\"$e\" bs=1 seek=$((s / 2)) conv=notrunc status=none; done; rm out/*", dir);
    int after = render("", ran, sizeof ran);
    CHECK(after >= cold - 1, "corrupt entries are detected and recomputed (%d nodes ran)", after);
    CHECK(same_outputs("ref"), "outputs after corruption equal the cold render");
    /* A loudness target beyond its limiting budget is refused, and stays refused on the next run:
     * the failed search must leave no output behind in the cache. */
    put("budget.lua", "output(source('in.wav'):loudness{target_lufs = -6, ceiling_dbtp = -1, max_gr_db = 1},\n"
                      "       'loud.wav', {bits = 24})\n");
    for (int k = 0; k < 2; k++)
        CHECK(tu_run("cd %s && %s render budget.lua -o out --cache cache --quiet 2>err.txt; test $? -eq 2 "
                     "&& grep -q max_gr_db err.txt && test ! -e out/loud.wav && ! ls -A out | grep -q tmp",
                     dir, bin) == 0,
              "a loudness target beyond max_gr_db fails clearly, run %d of 2", k + 1);
    CHECK(tu_run("cd %s && %s cache stats --cache cache | grep -q entries", dir, bin) == 0, "cache stats");
    CHECK(tu_run("cd %s && %s cache explain album.lua -o out --cache cache > explain.txt; grep -q 'up to date' explain.txt && ! grep -q 'will be written' explain.txt || { cat explain.txt >&2; exit 1; }", dir, bin) == 0,
          "cache explain: after the re-render every output is up to date (records replaced)");
    /* explain after a tweak was rendered names no old change; a copied script keeps the
     * history: explained against the last run, its next change is named with the old value. */
    put("tweak.lua", "local m = source('in.wav'):eq{ {type = 'bell', freq_hz = 300, q = 1,\n"
                     "                                 gain_db = tonumber(param('g', -2))} }\n"
                     "output(m:gain{gain_db = -1}, 'x.wav', {bits = 24})\n");
    CHECK(tu_run("cd %s && %s render tweak.lua -o tw --cache cache -q && %s render tweak.lua -o tw "
                 "--cache cache -q -D g=-3 && %s cache explain tweak.lua -o tw --cache cache -D g=-3 "
                 "> ex1.txt && ! grep -q 'changed' ex1.txt && grep -q 'up to date' ex1.txt "
                 "|| { cat ex1.txt >&2; exit 1; }", dir, bin, bin, bin) == 0,
          "explain after the tweak was rendered lists no stale change");
    CHECK(tu_run("cd %s && mkdir -p v2 && cp tweak.lua v2/ && cp in.wav v2/ && %s cache explain "
                 "v2/tweak.lua -o tw --cache cache -D g=-4 > ex2.txt && grep -q 'gain_db -3 -> -4' "
                 "ex2.txt || { cat ex2.txt >&2; exit 1; }", dir, bin) == 0,
          "a copied script keeps its history: explain names gain_db -3 -> -4");
    CHECK(tu_run("cd %s && ! grep -q 'evicted or never stored' ex1.txt ex2.txt", dir) == 0,
          "no alarm for nodes never stored by design");
    /* Heavy limiting on a song long enough for the loudness search's calibration windows: a new
     * target's windows read the main stage's peaks the first run kept (loudness_pass.c), and the
     * render equals a cold one of the new target byte for byte, as does one at -j 2. */
#define HEAVY_MIX                                                                            \
    "local x = mix(noise{duration_s = 24, color = 'pink', amplitude_db = -20, seed = 5},\n"  \
    "              sine{freq_hz = 55, duration_s = 24, amplitude_db = -18})\n"
    put("heavy.lua", HEAVY_MIX "output(x:loudness{target_lufs = tonumber(param('t', -11)), "
                               "max_gr_db = 12}, 'h.flac', {bits = 24})\n");
    CHECK(tu_run("cd %s && %s render heavy.lua -o hv --cache hcache -q && %s render heavy.lua -o hv "
                 "--cache hcache -q -D t=-10 --json > hv.json && %s render heavy.lua -o hc "
                 "--no-cache -q -D t=-10 --json > hc.json && %s render heavy.lua -o h2 --no-cache "
                 "-q -D t=-10 -j 2 --json > h2.json && cmp hv/h.flac hc/h.flac && "
                 "cmp hv/h.flac h2/h.flac && grep -q '\"peaks_remembered\": 1' hv.json",
                 dir, bin, bin, bin, bin) == 0,
          "heavy limiting: a new target (windows and pass reading the kept peaks) equals a cold "
          "render byte for byte");
    /* The same from a lossy file read straight by the node (no materialised copy): the windows
     * seek the decoder past the frames between them, and a seek must land where a read
     * straight through does (libsndfile's Ogg and MP3 decoders). */
    put("lossy.lua", HEAVY_MIX "output(x, 'm.ogg', {bitrate_kbps = 192})\n"
                               "output(x, 'm.mp3', {bitrate_kbps = 192})\n");
    put("fromfile.lua", "output(source(param('in', 'm.ogg')):loudness{target_lufs = "
                        "tonumber(param('t', -11)), max_gr_db = 12}, 'h.flac', {bits = 24})\n");
    CHECK(tu_run("cd %s && r='%s render fromfile.lua -q' && %s render lossy.lua -o src -q --no-cache "
                 "&& for f in ogg mp3; do $r -D in=src/m.$f -o lv_$f --cache lc_$f && $r -D "
                 "in=src/m.$f -o lv_$f --cache lc_$f -D t=-10 && $r -D in=src/m.$f -o lk_$f "
                 "--no-cache -D t=-10 && cmp lv_$f/h.flac lk_$f/h.flac || exit 1; done",
                 dir, bin, bin) == 0,
          "the same from an Ogg and an MP3 file read by the node: a new target equals a cold render");
    /* At -j 2 the input's true peak is measured half on each thread: the same number. */
    CHECK(tu_run("cd %s && a=$(grep -o '\"input_true_peak_dbtp\": [^,]*' hc.json) && "
                 "[ -n \"$a\" ] && [ \"$a\" = \"$(grep -o '\"input_true_peak_dbtp\": [^,]*' "
                 "h2.json)\" ]", dir) == 0,
          "the input's true peak at -j 2 (split between the threads) is the one at -j 1");
    /* An output left alone by a tweak is reported from the analysis remembered by its content
     * when it was written: the first tweak measures it no more than the second (a measurement
     * would be remembered as one more blob). */
    put("alone.lua", "local x = sine{duration_s = 5, freq_hz = 440, amplitude_db = -12}\n"
                     "output(x:gain{gain_db = -1}, 'a.wav', {bits = 24})\n"
                     "output(x:gain{gain_db = tonumber(param('g', -2))}, 'b.wav', {bits = 24})\n");
    CHECK(tu_run("cd %s && r='%s render alone.lua -o al --cache alcache -q' && n() { find alcache "
                 "-name '*.b' | wc -l; } && $r && n0=$(n) && $r -D g=-3 && n1=$(n) && $r -D g=-4 "
                 "&& n2=$(n) && [ $((n1 - n0)) -eq $((n2 - n1)) ] || { echo $n0 $n1 $n2 >&2; "
                 "exit 1; }", dir, bin) == 0,
          "an output left alone is not measured again after the render that wrote it");
    CHECK(tu_run("cd %s && %s cache clear --cache cache >/dev/null && %s cache stats --cache cache | grep -q ' 0 entries'", dir, bin, bin) == 0,
          "cache clear empties it");
    tu_run("rm -rf %s", dir);
    return tu_done();
}

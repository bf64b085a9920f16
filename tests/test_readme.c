/* The README works as written: its node list (between <!-- nodes:begin --> and <!-- nodes:end -->)
 * is the registry, line for line; every ```lua block renders (against a synthesized mix, or three
 * synthesized songs for album scripts) and writes the files it names; every inline `lathe help X`
 * it mentions succeeds; `lathe help` prints every node the README lists. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "lathe/lathe.h"
#include "nodes/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static void test_node_list(const char *readme)
{
    const char *b = strstr(readme, "<!-- nodes:begin -->\n"), *e = strstr(readme, "<!-- nodes:end -->");
    CHECK(b && e && b < e, "README has the marked node list");
    if (!b || !e)
        return;
    b += strlen("<!-- nodes:begin -->\n");
    char want[8192] = "";
    int n;
    const lathe_node_desc *const *all = lathe_registry_all(&n);
    for (int i = 0; i < n; i++) {
        char line[512];
        snprintf(line, sizeof line, "- `%s`: %s\n", all[i]->name, all[i]->summary);
        strncat(want, line, sizeof want - strlen(want) - 1);
        CHECK(strstr(b, line) != NULL && strstr(b, line) < e, "README lists %s as: %s",
              all[i]->name, line);
    }
    CHECK((size_t)(e - b) == strlen(want) && strncmp(b, want, strlen(want)) == 0,
          "README node list = registry (%d nodes); regenerate it as:\n%s", n, want);
}

/* Synthesized stand-ins for the files the README's scripts read. */
static void make_inputs(void)
{
    static const char gen[] =
        "local s = sine{freq_hz = param('f', 110), duration_s = 7, amplitude_db = -10}\n"
        "local n = noise{color = 'pink', duration_s = 7, amplitude_db = -26}\n"
        "output(mix(s, n):fade{in_ms = 20, out_ms = 300}, param('name', 'mix') .. '.wav')\n";
    ct_write_n("gen.lua", gen, strlen(gen));
    const char *names[] = {"mix", "song", "01", "02", "03"};
    for (int i = 0; i < 5; i++)
        CHECK(tu_run("cd %s && %s render gen.lua -o . -D name=%s -D f=%d --no-cache --quiet "
                     ">/dev/null 2>&1", ct_dir, ct_bin, names[i], 110 + 20 * i) == 0,
              "input %s.wav synthesized", names[i]);
}

/* The first 'x.wav' or "x.flac" literal in [p, end) must be a file under out after the render. */
static int first_output_literal(const char *p, const char *end, const char *out)
{
    for (; p < end; p++) {
        const char *q = *p == '"' || *p == '\'' ? memchr(p + 1, *p, (size_t)(end - p - 1)) : NULL;
        if (!q)
            continue;
        char name[256];
        snprintf(name, sizeof name, "%.*s", (int)(q - p - 1), p + 1);
        const char *ext = strrchr(name, '.');
        if (ext && (!strcmp(ext, ".wav") || !strcmp(ext, ".flac"))) {
            int ok = tu_run("test -f '%s/%s/%s'", ct_dir, out, name) == 0;
            CHECK(ok, "the README script wrote %s", name);
            return !ok;
        }
        p = q;
    }
    return 0;
}

/* The file of each output() call must exist after the render. */
static int outputs_written(const char *block, size_t len, const char *out)
{
    int missing = 0;
    const char *end = block + len;
    for (const char *o = block; (o = strstr(o, "output(")) && o < end; o++) {
        const char *next = strstr(o + 1, "output(");
        missing += first_output_literal(o, next && next < end ? next : end, out);
    }
    return missing;
}

static void test_lua_blocks(const char *readme)
{
    int k = 0;
    for (const char *p = readme; (p = strstr(p, "```lua\n")); k++) {
        p += 7;
        const char *e = strstr(p, "```");
        if (!e)
            break;
        char name[64], out[64];
        snprintf(name, sizeof name, "block%d.lua", k);
        snprintf(out, sizeof out, "out%d", k);
        ct_write_n(name, p, (size_t)(e - p));
        /* A -D that the block does not read would be an error (as it should). */
        char block[8192];
        snprintf(block, sizeof block, "%.*s", (int)(e - p), p);
        int reads_input = strstr(block, "param(\"input\"") != NULL;
        int rc = tu_run("cd %s && %s render %s -o %s %s%s%s --no-cache --quiet "
                        ">%s/log%d.txt 2>&1", ct_dir, ct_bin, name, out,
                        reads_input ? "-D input=" : "", reads_input ? ct_dir : "",
                        reads_input ? "/mix.wav" : "", ct_dir, k);
        CHECK(rc == 0, "README lua block %d renders (see %s/log%d.txt)", k, ct_dir, k);
        if (rc == 0)
            outputs_written(p, (size_t)(e - p), out);
        p = e + 3;
    }
    CHECK(k >= 2, "README has lua blocks (%d)", k);
}

/* Inline `lathe help X` commands. */
static void test_help_commands(const char *readme)
{
    int k = 0;
    for (const char *p = readme; (p = strstr(p, "`lathe help")); p++) {
        const char *e = strchr(p + 1, '`');
        char cmd[128];
        snprintf(cmd, sizeof cmd, "%.*s", e ? (int)(e - p - 1) : 0, p + 1);
        if (!e || strpbrk(cmd, "[]|") || strstr(cmd, "NODE") || strstr(cmd, "COMMAND"))
            continue; /* a synopsis, not a command */
        CHECK(tu_run("%s %s >/dev/null 2>&1", ct_bin, cmd + 6) == 0, "README command `%s` works", cmd);
        k++;
    }
    CHECK(k >= 1, "README shows runnable help commands (%d)", k);
}

int main(void)
{
    const char *src = getenv("LATHE_SRC");
    if (!src) {
        printf("LATHE_SRC not set\n0 passed, 1 failed\n");
        return 1;
    }
    ct_setup();
    char path[1024];
    snprintf(path, sizeof path, "%s/README.md", src);
    char *readme = ct_slurp(path, NULL);
    CHECK(readme != NULL, "README.md readable");
    if (!readme)
        return tu_done();
    test_node_list(readme);
    make_inputs();
    test_lua_blocks(readme);
    test_help_commands(readme);
    free(readme);
    int rc = tu_done();
    if (rc == 0)
        ct_cleanup(); /* on failure the folder stays for a look */
    return rc;
}

/* `cmake --install` into a temporary prefix: the executable, liblathe.a with its two public
 * headers, a relocatable liblathe.pc that pkg-config reads, the man page; then a small host
 * program compiled and linked with `pkg-config --cflags --libs liblathe` runs and finds every
 * registered node. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include "lathe/lathe.h"
#include "nodes/registry.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *dir; /* clitest.h's scratch folder */

static int exists(const char *rel)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/prefix/%s", dir, rel);
    return access(p, R_OK) == 0;
}

static const char *host =
    "#include <lathe/lathe.h>\n#include <lathe/registry.h>\n#include <stdio.h>\n"
    "int main(void)\n{\n    int n = 0;\n    lathe_registry_all(&n);\n"
    "    printf(\"%s %d\\n\", lathe_version(), n);\n    return n > 0 ? 0 : 1;\n}\n";

int main(void)
{
    ct_setup();
    dir = ct_dir;
    char build[1024];
    snprintf(build, sizeof build, "%s", ct_bin);
    dirname(build); /* the executable sits at the top of the build folder */
    CHECK(tu_run("cmake --install %s --prefix %s/prefix >%s/install.log 2>&1", build, dir, dir) == 0,
          "cmake --install");
    CHECK(exists("bin/lathe"), "bin/lathe");
    CHECK(exists("lib/liblathe.a"), "lib/liblathe.a");
    CHECK(exists("include/lathe/lathe.h") && exists("include/lathe/lathe_node.h")
          && exists("include/lathe/registry.h"), "headers");
    CHECK(exists("lib/pkgconfig/liblathe.pc"), "liblathe.pc");
    CHECK(exists("share/man/man1/lathe.1"), "man page");
    CHECK(exists("share/lathe/chains/master.lua"), "stock chains");
    CHECK(exists("share/doc/lathe/README.md") && exists("share/doc/lathe/chains/README.md"),
          "the documentation the man page points at");
    CHECK(tu_run("grep -q '^.TH LATHE 1' %s/prefix/share/man/man1/lathe.1", dir) == 0,
          "man page header");
    CHECK(tu_run("PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig pkg-config --modversion liblathe | "
                 "grep -qx '%s'", dir, lathe_version()) == 0, "pkg-config version = %s",
          lathe_version());
    char src[1024];
    snprintf(src, sizeof src, "%s/host.c", dir);
    FILE *f = fopen(src, "w");
    fputs(host, f);
    fclose(f);
    /* The library of a sanitizer build needs the sanitizer runtime at link time too. */
    const char *cmd = "cd %s && cc -std=c11 host.c %s $(PKG_CONFIG_PATH=%s/prefix/lib/pkgconfig "
                      "pkg-config --cflags --libs liblathe) -o host >cc.log 2>&1";
    int rc = tu_run(cmd, dir, "", dir);
    if (rc != 0)
        rc = tu_run(cmd, dir, "-fsanitize=address,undefined", dir);
    CHECK(rc == 0, "a host program compiles and links against liblathe");
    int n = 0;
    lathe_registry_all(&n);
    char want[64];
    snprintf(want, sizeof want, "%s %d", lathe_version(), n);
    CHECK(tu_run("cd %s && ./host | grep -qx '%s'", dir, want) == 0, "host prints '%s'", want);
    ct_cleanup();
    return tu_done();
}

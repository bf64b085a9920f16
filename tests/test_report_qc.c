/* report.html's QC findings as an engineer reads them (#17): an output that names a deliverable
 * is judged by its own spec, so a CD limited to -0.3 dBTP is not flagged "above -1 dBTP" (the
 * same output without a deliverable still is: the filter is that narrow), a finding the source
 * already had is marked "also in the source", and the documents it cites are installed ones. */
#define _XOPEN_SOURCE 700
#include "clitest.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The findings table of one output: from its <h3> to the next heading. */
static char *section(const char *html, const char *name)
{
    char h3[200];
    snprintf(h3, sizeof h3, "<h3>%s</h3>", name);
    const char *a = strstr(html, h3);
    if (!a)
        return NULL;
    a += strlen(h3);
    const char *b = strstr(a, "<h");
    size_t n = b ? (size_t)(b - a) : strlen(a);
    char *s = malloc(n + 1);
    memcpy(s, a, n);
    s[n] = 0;
    return s;
}

int main(void)
{
    ct_setup();
    /* 2.5 s of silence, then a loud programme whose peaks need limiting */
    ct_write("gen.lua",
             "output(mix(noise{duration_s = 6, color = 'pink', amplitude_db = -6, seed = 9},\n"
             "           sine{freq_hz = 80, duration_s = 6, amplitude_db = -8}):pad{head_s = 2.5},\n"
             "       'in.wav', {bits = 24})\n");
    ct_write("qc.lua",
             "local x = source('in.wav')\n"
             "output(x:resample{rate = 44100}:limit{ceiling_dbtp = -0.3}:dither{bits = 16},\n"
             "       'cd.wav', {bits = 16, deliverable = 'cd'})\n"
             "output(x:limit{ceiling_dbtp = -0.3}, 'plain.wav', {bits = 24})\n");
    CHECK(ct_lathe("render gen.lua -o . --no-cache -q") == 0, "make the input");
    CHECK(ct_lathe("render qc.lua -o out --no-cache -q") <= 1, "render with report");
    char *html = ct_slurp("out/report.html", NULL);
    char *cd = html ? section(html, "cd.wav") : NULL, *plain = html ? section(html, "plain.wav") : NULL;
    CHECK(cd && plain, "report.html has a findings section per output");
    if (cd && plain) {
        CHECK(!strstr(cd, "above -1 dBTP"), "the CD at -0.3 dBTP is judged by its spec, not -1 dBTP");
        CHECK(strstr(plain, "above -1 dBTP") != NULL,
              "the same level without a deliverable is still flagged");
        CHECK(strstr(cd, "silence_head") && strstr(cd, "(also in the source)"),
              "the inherited silent head is marked as in the source");
    }
    /* what it cites is installed with the program (README, man page), not the design notes */
    CHECK(html && !strstr(html, "specs.md") && !strstr(html, "design.md") && strstr(html, "QC checks"),
          "report.html cites the installed README's QC checks");
    free(cd);
    free(plain);
    free(html);
    ct_cleanup();
    return tu_done();
}

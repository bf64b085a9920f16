/* report_match.c - the reference-matching charts of report.html (see report_match.h). */
#include "report_match.h"

#include "report_svg.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BANDS 64

/* The comma-separated list after "key=" in a node's report: values into y, labels (when wanted)
 * into lab; returns the count (0 when absent). */
static int report_list(const char *text, const char *key, double *y, char (*lab)[16])
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
        if (strncmp(p, key, kl) != 0 || p[kl] != '=')
            continue;
        int n = 0;
        for (const char *q = p + kl + 1; n < MAX_BANDS && *q && *q != '\n'; n++) {
            char *end;
            y[n] = strtod(q, &end);
            if (lab)
                snprintf(lab[n], sizeof lab[n], "%.*s", (int)(end - q), q);
            if (end == q)
                return n;
            q = *end == ',' ? end + 1 : end;
        }
        return n;
    }
    return 0;
}

/* Long tick labels crowd: every third band gets one (31.5, 63, 125, ...: the octaves). */
static void thin_ticks(char (*lab)[16], const char **ticks, int n)
{
    for (int i = 0; i < n; i++) {
        double hz = atof(lab[i]);
        if (i % 3 != 2)
            lab[i][0] = 0;
        else if (hz >= 1000)
            snprintf(lab[i], sizeof lab[i], "%.4gk", hz / 1000);
        ticks[i] = lab[i];
    }
}

static void one_node(FILE *f, const lathe_graph *g, int id)
{
    static const char *const keys[] = {"input_mid_db", "reference_mid_db", "input_side_db",
                                       "reference_side_db", "correction_mid_db",
                                       "correction_side_db"};
    static const char *const names[] = {"input mid", "reference mid", "input side",
                                        "reference side", "correction mid", "correction side"};
    const char *text = lathe_graph_node_report(g, id);
    double y[6][MAX_BANDS], bands[MAX_BANDS];
    char lab[MAX_BANDS][16];
    const char *ticks[MAX_BANDS];
    int nb = report_list(text, "bands_hz", bands, lab);
    if (nb < 2)
        return;
    thin_ticks(lab, ticks, nb);
    lathe_svg_series s[6];
    int n[2] = {0, 0};
    for (int k = 0; k < 6; k++) {
        int chart = k >= 4, len = report_list(text, keys[k], y[k], NULL);
        if (len == nb)
            s[chart ? 4 + n[1]++ : n[0]++] =
                (lathe_svg_series){names[k], y[k], (size_t)nb, 0.0, 1.0, !(k & 1) && !chart, k};
    }
    fputs("<h3>", f);
    lathe_html_escape(f, lathe_graph_node_label(g, id));
    fputs("</h3>\n", f);
    lathe_svg_chart c = {"spectrum", "Long-term spectrum, loudest segments, 1/3 octave (dashed: "
                         "input; solid: reference, aligned to the input's level)",
                         "band centre (Hz)", "dB", -0.3, nb - 0.7, 0, 0, ticks, nb};
    lathe_svg_auto_y(&c, s, n[0], -80, 0, 60);
    lathe_svg_line_chart(f, &c, s, n[0]);
    lathe_svg_chart d = {"change", "Correction applied (mid and side)", "band centre (Hz)", "dB",
                         -0.3, nb - 0.7, 0, 0, ticks, nb};
    lathe_svg_auto_y(&d, s + 4, n[1], -3, 3, 30);
    lathe_svg_line_chart(f, &d, s + 4, n[1]);
}

void lathe_report_match_charts(FILE *f, const lathe_graph *g)
{
    int any = 0, nn = lathe_graph_node_count(g);
    for (int id = 0; id < nn; id++) {
        const char *text = lathe_graph_node_report(g, id);
        if (strcmp(lathe_graph_node_name(g, id), "match") != 0 || !text || !strstr(text, "bands_hz="))
            continue;
        if (!any++)
            fputs("<h2 id=\"match\">Reference matching</h2>\n", f);
        one_node(f, g, id);
    }
}

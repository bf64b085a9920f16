/* report.html's QC findings (see report_findings.h). */
#include "report_findings.h"

#include "measure/profiles.h"
#include "report_svg.h"

#include <math.h>
#include <string.h>

int lathe_finding_applies(const lathe_output_result *o, const lathe_finding *x)
{
    int judged_by_spec = o->deliverable && lathe_spec_known(o->deliverable);
    return !(judged_by_spec && !strcmp(x->code, "true_peak") && x->severity == LATHE_SEV_WARNING);
}

/* The source has a finding of the same check (and channel): the output inherited it. */
static int in_source(const lathe_analysis_result *src, const lathe_finding *x)
{
    for (size_t k = 0; src && k < src->n_findings; k++)
        if (!strcmp(src->findings[k].code, x->code) && src->findings[k].channel == x->channel)
            return 1;
    return 0;
}

void lathe_report_findings(FILE *f, const lathe_graph *g, const lathe_analysis_result *const *an,
                           const lathe_analysis_result *const *src)
{
    fputs("<h2 id=\"findings\">QC findings</h2>\n", f);
    for (int i = 0; i < lathe_graph_output_count(g); i++) {
        const lathe_output_result *o = lathe_graph_output_result(g, i);
        const lathe_analysis_result *a = an[i];
        const char *slash = strrchr(o->path, '/');
        fputs("<h3>", f);
        lathe_html_escape(f, slash ? slash + 1 : o->path);
        fputs("</h3>\n", f);
        size_t shown = 0;
        for (size_t k = 0; a && k < a->n_findings; k++)
            shown += lathe_finding_applies(o, &a->findings[k]);
        if (!shown) {
            fputs(a ? "<p>No findings.</p>\n" : "<p>Not measured.</p>\n", f);
            continue;
        }
        fputs("<table class=\"findings\"><tr><th>time</th><th>severity</th><th>check</th>"
              "<th>what</th></tr>\n", f);
        for (size_t k = 0; k < a->n_findings; k++) {
            const lathe_finding *x = &a->findings[k];
            if (!lathe_finding_applies(o, x))
                continue;
            fprintf(f, "<tr><td class=\"n\">%d:%04.1f</td><td class=\"%s\">%s</td><td>",
                    (int)(x->time_s / 60), fmod(x->time_s, 60.0), lathe_severity_name(x->severity),
                    lathe_severity_name(x->severity));
            lathe_html_escape(f, x->code);
            fputs("</td><td>", f);
            lathe_html_escape(f, x->message);
            if (in_source(src[i], x))
                fputs(" <em>(also in the source)</em>", f);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
}

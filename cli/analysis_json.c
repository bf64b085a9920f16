/* analysis_json.c - analysis results as JSON and as text (see analysis_json.h). */
#include "analysis_json.h"

#include <math.h>

/* A finite number, or null (below the gate, silence): never -inf in JSON. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *num_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, num(v[i]));
    return a;
}

static json_t *findings_json(const lathe_analysis_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_findings; i++) {
        const lathe_finding *f = &r->findings[i];
        json_t *o = json_pack("{s:s, s:s, s:o, s:s}", "severity",
                              lathe_severity_name(f->severity), "code", f->code, "time_s",
                              num(f->time_s), "message", f->message);
        if (f->channel >= 0)
            json_object_set_new(o, "channel", json_integer(f->channel));
        json_array_append_new(a, o);
    }
    return a;
}

static json_t *clicks_json(const lathe_analysis_result *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < r->n_clicks; i++)
        json_array_append_new(a, json_pack("{s:o, s:i}", "time_s", num(r->clicks[i].time_s),
                                           "channel", (json_int_t)r->clicks[i].channel));
    return a;
}

static json_t *octaves_json(const lathe_analysis_result *r)
{
    json_t *a = json_array();
    for (int b = 0; b < LATHE_OCTAVE_BANDS; b++)
        json_array_append_new(a, json_pack("{s:o, s:o}", "freq_hz", num(r->octave_hz[b]),
                                           "level_db", num(r->octave_db[b])));
    return a;
}

static void set(json_t *o, const char *k, json_t *v)
{
    json_object_set_new(o, k, v);
}

json_t *lathe_analysis_to_json(const char *file, const lathe_analysis_result *r)
{
    json_t *o = json_object();
    set(o, "file", file ? json_string(file) : json_null());
    set(o, "rate", json_integer(r->rate));
    set(o, "channels", json_integer(r->channels));
    set(o, "frames", json_integer((json_int_t)r->frames));
    set(o, "duration_s", num(r->duration_s));
    set(o, "integrated_lufs", num(r->integrated_lufs));
    set(o, "momentary_max_lufs", num(r->momentary_max_lufs));
    set(o, "short_term_max_lufs", num(r->short_term_max_lufs));
    set(o, "lra_lu", num(r->lra_lu));
    set(o, "true_peak_dbtp", num(r->true_peak_dbtp));
    set(o, "true_peak_time_s", num(r->true_peak_time_s));
    set(o, "sample_peak_dbfs", num(r->sample_peak_dbfs));
    set(o, "plr_db", num(r->plr_db));
    set(o, "crest_db", num(r->crest_db));
    set(o, "dc_offset_dbfs", num_array(r->dc_offset_dbfs, r->channels));
    set(o, "channel_true_peak_dbtp", num_array(r->channel_true_peak_dbtp, r->channels));
    set(o, "channel_sample_peak_dbfs", num_array(r->channel_sample_peak_dbfs, r->channels));
    set(o, "channel_rms_dbfs", num_array(r->channel_rms_dbfs, r->channels));
    set(o, "correlation", num(r->correlation));
    set(o, "mono_loss_lu", num(r->mono_loss_lu));
    set(o, "imbalance_db", num(r->imbalance_db));
    set(o, "clipped_samples", json_integer((json_int_t)r->clipped_samples));
    set(o, "clip_runs", json_integer((json_int_t)r->clip_runs));
    set(o, "nonfinite_samples", json_integer((json_int_t)r->nonfinite_samples));
    set(o, "clicks", clicks_json(r));
    set(o, "silence_head_s", num(r->silence_head_s));
    set(o, "silence_tail_s", num(r->silence_tail_s));
    set(o, "noise_floor_dbfs", num(r->noise_floor_dbfs));
    set(o, "top_band_dbfs", num(r->top_band_dbfs));
    set(o, "octave_bands", octaves_json(r));
    set(o, "short_term_lufs", num_array(r->short_term_lufs, r->n_short_term));
    set(o, "findings", findings_json(r));
    return o;
}

static void line(FILE *f, const char *label, double v, const char *unit)
{
    if (isfinite(v))
        fprintf(f, "  %-22s %8.2f %s\n", label, v, unit);
    else
        fprintf(f, "  %-22s %8s %s\n", label, "-", unit);
}

static void print_channels(FILE *f, const char *label, const double *v, uint32_t n)
{
    fprintf(f, "  %-22s", label);
    for (uint32_t c = 0; c < n; c++) {
        if (isfinite(v[c]))
            fprintf(f, " %8.2f", v[c]);
        else
            fprintf(f, " %8s", "-inf");
    }
    fprintf(f, "\n");
}

void lathe_analysis_print(FILE *f, const char *file, const lathe_analysis_result *r)
{
    fprintf(f, "%s: %u Hz, %u ch, %.3f s\n", file ? file : "-", (unsigned)r->rate,
            (unsigned)r->channels, r->duration_s);
    line(f, "integrated", r->integrated_lufs, "LUFS");
    line(f, "momentary max", r->momentary_max_lufs, "LUFS");
    line(f, "short-term max", r->short_term_max_lufs, "LUFS");
    line(f, "loudness range", r->lra_lu, "LU");
    line(f, "true peak", r->true_peak_dbtp, "dBTP");
    line(f, "sample peak", r->sample_peak_dbfs, "dBFS");
    line(f, "PLR", r->plr_db, "dB");
    line(f, "crest factor", r->crest_db, "dB");
    print_channels(f, "DC offset (dBFS)", r->dc_offset_dbfs, r->channels);
    print_channels(f, "RMS (dBFS)", r->channel_rms_dbfs, r->channels);
    line(f, "correlation", r->correlation, "");
    line(f, "mono fold-down loss", r->mono_loss_lu, "LU");
    line(f, "channel imbalance", r->imbalance_db, "dB");
    line(f, "noise floor", r->noise_floor_dbfs, "dBFS");
    line(f, "above 0.98 Nyquist", r->top_band_dbfs, "dBFS");
    line(f, "silence at head", r->silence_head_s, "s");
    line(f, "silence at tail", r->silence_tail_s, "s");
    fprintf(f, "  %-22s %8llu (%llu runs of 4+)\n", "full-scale samples",
            (unsigned long long)r->clipped_samples, (unsigned long long)r->clip_runs);
    fprintf(f, "  %-22s %8zu\n", "clicks", r->n_clicks);
    fprintf(f, "  octave bands (dB re total):");
    for (int b = 0; b < LATHE_OCTAVE_BANDS; b++)
        fprintf(f, " %g:%.1f", r->octave_hz[b], isfinite(r->octave_db[b]) ? r->octave_db[b] : -99.0);
    fprintf(f, "\n");
    for (size_t i = 0; i < r->n_findings; i++) {
        const lathe_finding *g = &r->findings[i];
        fprintf(f, "  %-7s %-12s %9.3f s  %s\n", lathe_severity_name(g->severity), g->code,
                g->time_s, g->message);
    }
}

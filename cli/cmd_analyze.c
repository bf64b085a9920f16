/* cmd_analyze.c - `lathe analyze FILE... [--json]`: the loudness and QC report of each file.
 * Exit codes: 0 ok, 2 bad usage, 3 an input could not be read. */
#include "cli.h"

#include "measure/analysis.h"
#include "analysis_json.h"
#include "engine/audio_io.h"
#include "engine/readahead.h"

#include <stdlib.h>
#include <string.h>

#define READ_FRAMES 16384

/* Reads and measures one file; returns an exit code and, on success, the result. */
int lathe_cli_analyze_file(const char *path, lathe_analysis_result **out)
{
    char err[LATHE_ERR_MAX];
    lathe_audio_reader *rd = NULL;
    lathe_audio_info info;
    if (lathe_audio_reader_open(path, &rd, &info, err, sizeof err) != LATHE_OK) {
        fprintf(stderr, "lathe: %s\n", err);
        return 3;
    }
    uint32_t nc = info.format.channels;
    lathe_analysis *a = NULL;
    lathe_readahead *ra = NULL;
    int rc = 0;
    if (nc > LATHE_ANALYSIS_MAX_CH || lathe_analysis_new(info.format.rate, nc, &a) != 0 ||
        lathe_analysis_reserve(a, info.format.frames) != 0 ||
        lathe_readahead_new(rd, nc, READ_FRAMES, &ra) != LATHE_OK) {
        fprintf(stderr, "lathe: %s: cannot analyse %u channels at %u Hz\n", path, (unsigned)nc,
                (unsigned)info.format.rate);
        rc = 3;
        goto done;
    }
    lathe_analysis_set_parallel(a); /* one file at a time: the second core measures beside */
    for (;;) {
        const float *const *ch;
        int64_t bad;
        int bad_ch;
        long n = lathe_readahead_next(ra, &ch, &bad, &bad_ch);
        if (n < 0) {
            fprintf(stderr, "lathe: %s: truncated or unreadable audio data\n", path);
            rc = 3;
            goto done;
        }
        if (n == 0)
            break;
        if (bad >= 0) {
            /* Measuring NaN would print nonsense numbers; name the first bad sample instead. */
            fprintf(stderr, "lathe: %s: NaN or infinite sample at frame %lld, channel %d\n", path,
                    (long long)bad, bad_ch + 1);
            rc = 3;
            goto done;
        }
        lathe_analysis_add(a, ch, (uint32_t)n);
    }
    if (lathe_analysis_finish(a, out) != 0) {
        fprintf(stderr, "lathe: %s: out of memory\n", path);
        rc = 3;
    }
done:
    lathe_readahead_free(ra);
    lathe_analysis_free(a);
    lathe_audio_reader_free(rd);
    return rc;
}

int lathe_cmd_analyze(int argc, char **argv)
{
    int json = 0, n_files = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0)
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "lathe analyze: unknown option '%s' (usage: lathe analyze FILE... "
                            "[--json])\n", argv[i]);
            return 2;
        } else
            n_files++;
    }
    if (n_files == 0) {
        fprintf(stderr, "lathe analyze: no input file (usage: lathe analyze FILE... [--json])\n");
        return 2;
    }
    json_t *all = json_array();
    int rc = 0;
    for (int i = 1; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--json") == 0)
            continue;
        lathe_analysis_result *r = NULL;
        rc = lathe_cli_analyze_file(argv[i], &r);
        if (rc)
            break;
        if (json)
            json_array_append_new(all, lathe_analysis_to_json(argv[i], r));
        else
            lathe_analysis_print(stdout, argv[i], r);
        lathe_analysis_result_free(r);
    }
    if (rc == 0 && json) {
        /* Always an array, one object per file (design.md): a script reads one shape. */
        json_dumpf(all, stdout, JSON_INDENT(2) | JSON_REAL_PRECISION(10));
        fputc('\n', stdout);
    }
    json_decref(all);
    return rc;
}

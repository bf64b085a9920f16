/* bench_overs: reads interleaved float32 (an oversampled reconstruction, e.g. ffmpeg's soxr at
 * 16x) on stdin and prints its peak in dBFS and the number of samples above a ceiling in dBFS
 * (argv[1]). Used by bench_lv2.sh as the ideal (long-filter) true-peak measurement. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    double ceiling = argc > 1 ? pow(10.0, atof(argv[1]) / 20.0) : 1.0, peak = 0;
    unsigned long long overs = 0;
    float buf[65536];
    size_t n;
    while ((n = fread(buf, sizeof(float), 65536, stdin)) > 0)
        for (size_t i = 0; i < n; i++) {
            double a = fabs((double)buf[i]);
            peak = a > peak ? a : peak;
            overs += a > ceiling;
        }
    printf("%.3f %llu\n", peak > 0 ? 20.0 * log10(peak) : -400.0, overs);
    return 0;
}

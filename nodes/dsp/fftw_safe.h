/* fftw_safe.h - FFTW's planner made safe from any thread, once per process.
 *
 * FFTW's planner (plan creation and destruction) is not thread-safe, and lathe plans from
 * several threads at once: barrier analyses run side by side, the program measures the sources
 * while the render runs, every output's meter plans its spectrum. FFTW's own lock
 * (fftw_make_planner_thread_safe, libfftw3_threads) covers every planner call in the process,
 * lathe's and any library's, where a lock of lathe's would cover only its own. Executing a plan
 * was always thread-safe. */
#ifndef LATHE_DSP_FFTW_SAFE_H
#define LATHE_DSP_FFTW_SAFE_H

/* [main] Call before creating or destroying a plan (cheap after the first call). */
void lathe_fftw_planner_safe(void);

#endif

/* The floor under any sampler on this host: a thread that only wakes on a 50 ms absolute
   schedule, N times, and does nothing else. Prints its own CPU time (CLOCK_THREAD_CPUTIME_ID)
   over the wall time, in % of one core, and per wake-up in µs — the timer interrupt, the
   context switches and the cold caches a sampler pays before it reads a single file.
   usage: timer-floor [INTERVAL_MS [WAKEUPS]] */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clock_s(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 50, n = argc > 2 ? atol(argv[2]) : 60;
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID), wall0 = clock_s(CLOCK_MONOTONIC);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 0; i < n; i++) {
        next.tv_nsec += ms * 1000000L;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0, wall = clock_s(CLOCK_MONOTONIC) - wall0;
    printf("%.9f %.6f %.2f\n", cpu, wall, cpu / (double)n * 1e6);
    return 0;
}

/* Ground truth for a short single-threaded program: busy for MS milliseconds of its own CPU
   (CLOCK_PROCESS_CPUTIME_ID), then prints its own rusage CPU at the very end:
   "cpu_us=N" (utime + stime, what the program itself would report).
   usage: cpu_ms MS */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static long long cpu_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: cpu_ms MS\n"); return 2; }
    long long end = cpu_ns() + atoll(argv[1]) * 1000000LL;
    volatile unsigned long x = 0;
    while (cpu_ns() < end) for (int i = 0; i < 1000; i++) x += i;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("cpu_us=%lld\n", (long long)ru.ru_utime.tv_sec * 1000000 + ru.ru_utime.tv_usec
                            + (long long)ru.ru_stime.tv_sec * 1000000 + ru.ru_stime.tv_usec);
    return 0;
}

/* Ground truth for CPU: K threads each busy for MS milliseconds, measured either on the thread's
   own CPU clock ("cpu": exactly K*MS of CPU whatever else the host runs) or on the wall clock
   ("wall": busy for MS of real time, as much CPU as the quota allows).
   Prints the process's own rusage CPU time and its wall time from start to end:
   "cpu_us=N wall_us=M".
   usage: spin K MS [cpu|wall] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static long ms;
static int wall;

static long long now_ns(clockid_t c) {
    struct timespec ts;
    clock_gettime(c, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void *spin(void *arg) {
    (void)arg;
    clockid_t c = wall ? CLOCK_MONOTONIC : CLOCK_THREAD_CPUTIME_ID;
    long long end = now_ns(c) + (long long)ms * 1000000LL;
    volatile unsigned long x = 0;
    /* The thread CPU clock is a system call (no vDSO), dear under seccomp on a VM (0.5-1 us here):
       checked every 1000 additions, a "busy loop" spent half its time in the kernel. 20000
       additions (~20-40 us) between checks keep it a user-mode loop, ending within that of MS. */
    int step = wall ? 1000 : 20000;
    while (now_ns(c) < end) for (int i = 0; i < step; i++) x += i;
    return NULL;
}

int main(int argc, char **argv) {
    long long t0 = now_ns(CLOCK_MONOTONIC);
    int k = argc > 1 ? atoi(argv[1]) : 1;
    ms = argc > 2 ? atol(argv[2]) : 1000;
    wall = argc > 3 && strcmp(argv[3], "wall") == 0;
    pthread_t t[64];
    if (k > 64) k = 64;
    for (int i = 0; i < k; i++) pthread_create(&t[i], NULL, spin, NULL);
    for (int i = 0; i < k; i++) pthread_join(t[i], NULL);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long long us = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL + ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
    printf("cpu_us=%lld wall_us=%lld\n", us, (now_ns(CLOCK_MONOTONIC) - t0) / 1000);
    return 0;
}

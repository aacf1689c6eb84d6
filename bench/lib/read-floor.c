/* What the sampler's per-tick reads cost with nothing of cleanroom in them: a thread that wakes
   on a 50 ms absolute schedule, as bench/lib/timer-floor.c does, and at each wake-up reads the
   files the sampler reads every tick from the cgroup it runs in — the CPU counter (cpu_percent_peak),
   the memory charge (memory_avg), the process count (pids_peak where the kernel keeps no peak) and
   memory.stat (anon_peak, and the fault count that gates the Pss walks). Run it as the workload of
   `cleanroom exec`: inside a run /sys/fs/cgroup shows the run's own groups (docs/sandbox.md), on a
   hybrid host one directory per v1 controller, on cgroup v2 one.
   Prints its CPU time (CLOCK_THREAD_CPUTIME_ID), the wall time, µs a wake-up, and the files.
   usage: read-floor [INTERVAL_MS [WAKEUPS]] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double clock_s(clockid_t c) {
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 50, n = argc > 2 ? atol(argv[2]) : 60;
    static const char *hybrid[] = { "/sys/fs/cgroup/cpuacct/cpuacct.usage", "/sys/fs/cgroup/memory/memory.usage_in_bytes",
                                    "/sys/fs/cgroup/pids/pids.current", "/sys/fs/cgroup/memory/memory.stat" };
    static const char *unified[] = { "/sys/fs/cgroup/cpu.stat", "/sys/fs/cgroup/memory.current",
                                     "/sys/fs/cgroup/pids.current", "/sys/fs/cgroup/memory.stat" };
    const char **files = access(hybrid[0], R_OK) == 0 ? hybrid : unified;
    int fds[4];
    for (int i = 0; i < 4; i++) {
        fds[i] = open(files[i], O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) { perror(files[i]); return 1; }
    }
    static char buf[16384];
    long long sum = 0;
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID), wall0 = clock_s(CLOCK_MONOTONIC);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long k = 0; k < n; k++) {
        next.tv_nsec += ms * 1000000L;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        for (int i = 0; i < 4; i++) {
            ssize_t r = pread(fds[i], buf, sizeof buf - 1, 0);
            if (r <= 0) continue;
            buf[r] = 0;
            sum += strtoll(buf, NULL, 10);
            /* memory.stat: the two lines the sampler takes from it */
            char *p = strstr(buf, "\ntotal_rss ");
            if (!p) p = strstr(buf, "anon ");
            if (p) sum += strtoll(strchr(p + 1, ' ') + 1, NULL, 10);
            if ((p = strstr(buf, "pgfault "))) sum += strtoll(p + 8, NULL, 10);
        }
    }
    double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0, wall = clock_s(CLOCK_MONOTONIC) - wall0;
    printf("%.9f %.6f %.2f %s,%s,%s,%s %lld\n", cpu, wall, cpu / (double)n * 1e6,
           files[0], files[1], files[2], files[3], sum & 1);
    return 0;
}

/* The floor under any sampler on this host: a thread that only wakes on a 50 ms absolute
   schedule, N times, and does nothing else. Prints its own CPU time (CLOCK_THREAD_CPUTIME_ID),
   the wall time, and µs a wake-up — the timer interrupt, the context switches and the cold caches
   a sampler pays before it reads a single file.

   With `reads`, each wake-up also reads the files the sampler reads every tick from the cgroup the
   program runs in — the CPU counter (cpu_percent_peak), the memory charge (memory_avg), the process
   count (pids_peak where the kernel keeps no peak) and memory.stat (anon_peak, and the fault count
   that gates the Pss walks) — and the files are printed after the figures. Run it so as the
   workload of `cleanroom exec`: inside a run /sys/fs/cgroup shows the run's own groups
   (docs/sandbox.md), one directory per v1 controller on a hybrid host, one on cgroup v2.
   usage: timer-floor [INTERVAL_MS [WAKEUPS [reads]]] */
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

static const char *hybrid[] = { "/sys/fs/cgroup/cpuacct/cpuacct.usage", "/sys/fs/cgroup/memory/memory.usage_in_bytes",
                                "/sys/fs/cgroup/pids/pids.current", "/sys/fs/cgroup/memory/memory.stat" };
static const char *unified[] = { "/sys/fs/cgroup/cpu.stat", "/sys/fs/cgroup/memory.current",
                                 "/sys/fs/cgroup/pids.current", "/sys/fs/cgroup/memory.stat" };

/* One tick's reads; what is parsed is what the sampler takes from each text. */
static long long read_all(const int *fds, int nfds) {
    static char buf[16384];
    long long sum = 0;
    for (int i = 0; i < nfds; i++) {
        ssize_t r = pread(fds[i], buf, sizeof buf - 1, 0);
        if (r <= 0) continue;
        buf[r] = 0;
        sum += strtoll(buf, NULL, 10);
        char *p = strstr(buf, "\ntotal_rss ");
        if (!p) p = strstr(buf, "anon ");
        if (p) sum += strtoll(strchr(p + 1, ' ') + 1, NULL, 10);
        if ((p = strstr(buf, "total_pgfault ")) || (p = strstr(buf, "pgfault ")))   /* v1, v2 */
            sum += strtoll(strchr(p, ' ') + 1, NULL, 10);
    }
    return sum;
}

int main(int argc, char **argv) {
    long ms = argc > 1 ? atol(argv[1]) : 50, n = argc > 2 ? atol(argv[2]) : 60;
    int reads = argc > 3 && strcmp(argv[3], "reads") == 0;
    const char **files = access(hybrid[0], R_OK) == 0 ? hybrid : unified;
    int fds[4], nfds = 0;
    for (; reads && nfds < 4; nfds++) {
        fds[nfds] = open(files[nfds], O_RDONLY | O_CLOEXEC);
        if (fds[nfds] < 0) { perror(files[nfds]); return 1; }
    }
    long long sum = 0;
    double cpu0 = clock_s(CLOCK_THREAD_CPUTIME_ID), wall0 = clock_s(CLOCK_MONOTONIC);
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    for (long i = 0; i < n; i++) {
        next.tv_nsec += ms * 1000000L;
        while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
        sum += read_all(fds, nfds);
    }
    double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu0, wall = clock_s(CLOCK_MONOTONIC) - wall0;
    printf("%.9f %.6f %.2f", cpu, wall, cpu / (double)n * 1e6);
    if (reads) printf(" %s,%s,%s,%s %lld", files[0], files[1], files[2], files[3], sum & 1);
    printf("\n");
    return 0;
}

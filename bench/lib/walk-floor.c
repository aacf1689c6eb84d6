/* The kernel's price of one reading of the contract's rss_peak (SPEC "Metrics": the tree's
   summed Pss) over the sampler bench's tree, with nothing of cleanroom in it: a shell and its
   100 `sleep`s, as bench/goals' sampler row runs them, each process's /proc/PID/smaps_rollup
   opened, read and closed (a kept fd would pin the memory map of before an execve) and its
   /proc/PID/status re-read through a kept fd (VmHWM, max_rss) — what ProcessMemory reads.
   Each walk's CPU is this thread's (CLOCK_THREAD_CPUTIME_ID); walks are GAP_MS apart, as the
   sampler paces them, so caches are as cold as they are for it.
   Prints: processes walked, the least and the median CPU of a walk in µs, the last walk's summed
   Pss and the largest VmHWM, KiB (parsed, as the sampler parses them, so no read goes unused).
   usage: walk-floor [CHILDREN [WALKS [GAP_MS]]] */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double thread_cpu_us(void) {
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

static int children_of(pid_t pid, pid_t *out, int cap) {
    char path[64], buf[8192];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", pid, pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n < 0) return -1;
    buf[n] = 0;
    int count = 0;
    for (char *p = buf; *p && count < cap;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) break;
        out[count++] = (pid_t)v;
        p = end;
    }
    return count;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
    int want = argc > 1 ? atoi(argv[1]) : 100, walks = argc > 2 ? atoi(argv[2]) : 5;
    long gap_ms = argc > 3 ? atol(argv[3]) : 200;
    if (want < 1 || want > 4000 || walks < 1 || walks > 100) return 2;
    char script[128];
    snprintf(script, sizeof script, "for i in $(seq %d); do sleep 60 & done; wait", want);
    pid_t sh = fork();
    if (sh < 0) return 1;
    if (sh == 0) {
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    pid_t *pids = calloc((size_t)want + 1, sizeof *pids);
    int *status_fds = calloc((size_t)want + 1, sizeof *status_fds);
    int n = 0;
    for (int tries = 0; tries < 6000; tries++) {   /* the shell forks its children: wait for all */
        n = children_of(sh, pids + 1, want);
        if (n == want) break;
        usleep(5000);
    }
    pids[0] = sh;
    n += 1;
    /* Each `sleep` must have exec'd (its own memory map, not the shell's copy). */
    usleep(200000);
    for (int i = 0; i < n; i++) {
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/status", pids[i]);
        status_fds[i] = open(path, O_RDONLY | O_CLOEXEC);
    }
    double *cost = calloc((size_t)walks, sizeof *cost);
    long long pss_kib = 0, hwm_kib = 0;
    char buf[4096];
    for (int w = 0; w < walks; w++) {
        usleep((useconds_t)gap_ms * 1000);
        double t0 = thread_cpu_us();
        long long sum = 0;
        for (int i = 0; i < n; i++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/smaps_rollup", pids[i]);
            int fd = open(path, O_RDONLY | O_CLOEXEC);
            if (fd >= 0) {
                ssize_t r = read(fd, buf, sizeof buf - 1);
                close(fd);
                if (r > 0) {
                    buf[r] = 0;
                    char *p = strstr(buf, "\nPss:");
                    if (p) sum += strtoll(p + 5, NULL, 10);
                }
            }
            if (status_fds[i] >= 0) {
                ssize_t r = pread(status_fds[i], buf, sizeof buf - 1, 0);
                char *p;
                if (r > 0 && (buf[r] = 0, p = strstr(buf, "VmHWM:"))) {
                    long long h = strtoll(p + 6, NULL, 10);
                    if (h > hwm_kib) hwm_kib = h;
                }
            }
        }
        cost[w] = thread_cpu_us() - t0;
        pss_kib = sum;
    }
    for (int i = 1; i < n; i++) kill(pids[i], SIGKILL);
    kill(sh, SIGKILL);
    while (waitpid(sh, NULL, 0) < 0 && errno == EINTR) {}
    qsort(cost, (size_t)walks, sizeof *cost, cmp_double);
    printf("%d %.0f %.0f %lld %lld\n", n, cost[0], cost[walks / 2], pss_kib, hwm_kib);
    return n == want + 1 ? 0 : 1;
}

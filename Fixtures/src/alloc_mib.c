/* Ground truth for memory_peak: malloc N MiB, touch every page, hold for HOLD_MS, exit.
   usage: alloc_mib N [HOLD_MS=300] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 100;
    long hold = argc > 2 ? atol(argv[2]) : 300;
    size_t n = (size_t)mib << 20;
    char *p = malloc(n);
    if (!p) { perror("malloc"); return 1; }
    for (size_t i = 0; i < n; i += 4096) p[i] = (char)i;   /* touch: make it resident */
    struct timespec ts = { hold / 1000, (hold % 1000) * 1000000L };
    nanosleep(&ts, NULL);
    volatile char sink = p[n - 1];
    (void)sink;
    return 0;
}

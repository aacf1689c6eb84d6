/* Ground truth for tree-wide memory and pids: K children each malloc+touch N MiB, all alive at
   once (each holds HOLD_MS after touching), the parent waits for all.
   usage: fork_alloc K N [HOLD_MS=500] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int k = argc > 1 ? atoi(argv[1]) : 4;
    long mib = argc > 2 ? atol(argv[2]) : 50;
    long hold = argc > 3 ? atol(argv[3]) : 500;
    for (int c = 0; c < k; c++) {
        pid_t pid = fork();
        if (pid < 0) { perror("fork"); return 1; }
        if (pid == 0) {
            size_t n = (size_t)mib << 20;
            char *p = n ? malloc(n) : NULL;
            if (n && !p) _exit(1);
            for (size_t i = 0; i < n; i += 4096) p[i] = (char)i;
            struct timespec ts = { hold / 1000, (hold % 1000) * 1000000L };
            nanosleep(&ts, NULL);
            _exit(0);
        }
    }
    int status, failed = 0;
    while (wait(&status) > 0) if (!WIFEXITED(status) || WEXITSTATUS(status)) failed++;
    return failed ? 1 : 0;
}

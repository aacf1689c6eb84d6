/* maxrss COMMAND [ARG...]: runs COMMAND, its output discarded, and prints its peak RSS in KiB
 * (wait4's ru_maxrss).
 * From a small process on purpose: Linux keeps the largest RSS a process had across execve, so a
 * command forked from the bench's Python would report Python's RSS when it is the larger (a
 * 30 MiB interpreter after reading the binary whole gave "25.6 MiB" for cleanroom). */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: maxrss COMMAND [ARG...]\n"); return 2; }
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        if (null >= 0) { dup2(null, 1); dup2(null, 2); }
        execv(argv[1], argv + 1);
        perror(argv[1]);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) { perror("wait4"); return 1; }
    printf("%ld\n", ru.ru_maxrss);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

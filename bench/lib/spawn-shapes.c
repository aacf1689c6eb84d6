/* What making a run's init costs in each shape, in a process with a footprint like cleanroom's
 * during `run` (~3 MiB of touched anonymous memory, a private file mapping with an anon_vma and
 * present file pages): bench/init-lever builds and runs it.
 *
 *   fork      clone without CLONE_VM, the child _exits at once (today's init: a copy of cleanroom;
 *             the page-table copy at fork and its teardown at exit)
 *   fork+cow  the same, the parent writing to its memory while the child lives (what cleanroom's
 *             threads do during a run: each page written is copied)
 *   vfork+exec <tiny>  CLONE_VM|CLONE_VFORK and execve of a small static program that exits
 *             (an init of its own); once with glibc's static start-up, once without libc
 *
 *   spawn-shapes TINY_LIBC TINY_RAW FILE ANON_MIB ROUNDS
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long now_ns(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1000000000L + t.tv_nsec; }
static const char *program;
static int exec_program(void *unused) {
    (void)unused;
    char *argv[] = { (char *)program, NULL }, *envp[] = { NULL };
    execve(program, argv, envp);
    _exit(127);
}
static int cmp(const void *a, const void *b) { long x = *(const long *)a, y = *(const long *)b; return (x > y) - (x < y); }

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: %s TINY_LIBC TINY_RAW FILE ANON_MIB ROUNDS\n", argv[0]); return 2; }
    size_t anon = (size_t)atol(argv[4]) << 20;
    int rounds = atoi(argv[5]);
    char *mem = mmap(NULL, anon + 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) { perror("mmap"); return 1; }
    memset(mem, 1, anon + 4096);
    int fd = open(argv[3], O_RDONLY);
    if (fd < 0) { perror(argv[3]); return 1; }
    size_t flen = 8 << 20;
    volatile char *file = mmap(NULL, flen, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (file == MAP_FAILED) { perror("mmap file"); return 1; }
    file[0] = 1;                                               /* an anon_vma: fork copies its PTEs */
    long sink = 0;
    for (size_t i = 0; i < flen; i += 4096) sink += file[i];
    char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const char *names[] = { "fork + _exit", "fork + _exit, parent writes 100 pages meanwhile",
                            "vfork + execve of a static glibc program", "vfork + execve of a static program without libc" };
    long *t[4];
    for (int k = 0; k < 4; k++) t[k] = calloc((size_t)rounds, sizeof(long));
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < 4; k++) {
            long t0 = now_ns();
            pid_t p;
            if (k < 2) {
                p = fork();
                if (p == 0) _exit(0);
                if (k == 1) for (int i = 0; i < 100; i++) mem[(size_t)i * 4096 * 7 % anon] += 1;
            } else {
                program = argv[k == 2 ? 1 : 2];
                p = clone(exec_program, stack + 65536, CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
            }
            int status;
            waitpid(p, &status, 0);
            t[k][r] = now_ns() - t0;
        }
    }
    for (int k = 0; k < 4; k++) {
        qsort(t[k], (size_t)rounds, sizeof(long), cmp);
        printf("| %s | %.0f µs |\n", names[k], t[k][rounds / 2] / 1e3);
    }
    return (int)(sink & 0);
}

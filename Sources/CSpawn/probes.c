/* Host probes for `cleanroom doctor` and the host probe, and small parent-side wrappers. */
#include "cs_internal.h"

#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int cspawn_seccomp_mode(void) {
    int r = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    return r < 0 ? -errno : r;
}

int cspawn_probe_namespaces(int flags) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    args.flags = (uint64_t)flags;
    args.exit_signal = SIGCHLD;
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return -errno;
    if (pid == 0) _exit(0);
    int st;
    while (waitpid((pid_t)pid, &st, 0) < 0 && errno == EINTR) {}
    return 0;
}

int cspawn_pidfd_open(int pid) {
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}

static int cs_signal_wfd = -1;

static void cs_on_signal(int sig) {
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    if (cs_signal_wfd >= 0) { ssize_t r = write(cs_signal_wfd, &b, 1); (void)r; }
    errno = saved;
}

int cspawn_install_signal_pipe(int wfd) {
    cs_signal_wfd = wfd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = cs_on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    int sigs[3] = { SIGINT, SIGTERM, SIGHUP };
    for (int i = 0; i < 3; i++) if (sigaction(sigs[i], &sa, NULL) < 0) return -errno;
    return 0;
}

int cspawn_is_tmpfs(const char *path) {
    struct statfs fs;
    if (statfs(path, &fs) < 0) return -errno;
    return fs.f_type == 0x01021994 ? 1 : 0;   /* TMPFS_MAGIC (linux/magic.h) */
}

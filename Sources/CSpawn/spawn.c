/*
 * The child side of a sandboxed run. See cspawn.h for the contract.
 *
 * Process shape (with a PID namespace):
 *   cleanroom ──clone3(new ns, [CLONE_INTO_CGROUP])──▶ init (PID 1) ──fork──▶ workload ──execve
 * The init joins the run's cgroups, sets up mounts and loopback, forks the workload, forwards
 * signals to it and reports its wait status; when the init exits the kernel kills everything
 * left in the PID namespace, so daemons and grandchildren cannot outlive the run.
 *
 * Only raw system calls after clone: the parent is multi-threaded.
 */
#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

struct cs_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

int64_t cspawn_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static size_t cs_strlen(const char *s) { size_t n = 0; while (s && s[n]) n++; return n; }

static void cs_copy(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    if (src) for (; i + 1 < cap && src[i]; i++) dst[i] = src[i];
    dst[i] = 0;
}

static void cs_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) { if (errno == EINTR) continue; return; }
        p += n; len -= (size_t)n;
    }
}

/* Writes a failed step to `pipe_fd` (a run's or a service's exec pipe) and exits: the parent
   turns it into outcome `error` or a set-up failure. */
static void cs_fail_on(int pipe_fd, const char *step, const char *detail, int err) {
    struct cspawn_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CSPAWN_MSG_ERROR;
    m.err = err;
    m.ns = cspawn_now_ns();
    cs_copy(m.step, sizeof m.step, step);
    cs_copy(m.detail, sizeof m.detail, detail);
    cs_write_all(pipe_fd, &m, sizeof m);
    _exit(127);
}

/* Reports a failed step of the run to the parent and exits. */
static void cs_fail(const struct cspawn_config *c, const char *step, const char *detail, int err) {
    cs_fail_on(c->exec_pipe, step, detail, err);
}

/* Diagnostics (cfg.trace): a timestamped "reached `step`" record for the parent's trace. */
static void cs_mark(const struct cspawn_config *c, const char *step) {
    if (!c->trace) return;
    struct cspawn_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CSPAWN_MSG_MARK;
    m.ns = cspawn_now_ns();
    cs_copy(m.step, sizeof m.step, step);
    cs_write_all(c->exec_pipe, &m, sizeof m);
}

static int cs_write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = write(fd, text, cs_strlen(text));
    int err = n < 0 ? -errno : 0;
    close(fd);
    return err;
}

static void cs_reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < 65; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &sa, NULL);   /* EINVAL for the few reserved numbers: harmless */
    }
}

/* mkdir -p inside a stack buffer (no malloc). */
static int cs_mkdir_p(const char *path) {
    char buf[4096];
    size_t n = cs_strlen(path);
    if (n >= sizeof buf) return -ENAMETOOLONG;
    cs_copy(buf, sizeof buf, path);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == 0) {
            char saved = buf[i];
            buf[i] = 0;
            if (mkdir(buf, 0755) < 0 && errno != EEXIST) return -errno;
            buf[i] = saved;
        }
    }
    return 0;
}

static void cs_setup_mounts(const struct cspawn_config *c) {
    if (!(c->namespaces & CLONE_NEWNS)) return;
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cs_fail(c, "mount --make-rprivate", "/", errno);

    int cwd_fd = -1;
    if (c->fs_mode != CSPAWN_FS_HOST && c->cwd_in_tmp) {
        cwd_fd = open(c->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd_fd < 0) cs_fail(c, "open cwd", c->cwd, errno);
    }
    if (c->fs_mode == CSPAWN_FS_READONLY) {
        struct cs_mount_attr ro = { MOUNT_ATTR_RDONLY, 0, 0, 0 };
        if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &ro, sizeof ro) < 0)
            cs_fail(c, "mount_setattr ro", "/", errno);
        if (!c->cwd_in_tmp) {
            /* cwd stays writable: a bind of itself, with read-only cleared on the copy. */
            if (mount(c->cwd, c->cwd, NULL, MS_BIND | MS_REC, NULL) < 0) cs_fail(c, "bind cwd", c->cwd, errno);
            struct cs_mount_attr rw = { 0, MOUNT_ATTR_RDONLY, 0, 0 };
            if (syscall(SYS_mount_setattr, AT_FDCWD, c->cwd, AT_RECURSIVE, &rw, sizeof rw) < 0)
                cs_fail(c, "mount_setattr rw", c->cwd, errno);
        }
        /* Shared memory is scratch space like /tmp (python multiprocessing needs it). */
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    }
    if (c->fs_mode != CSPAWN_FS_HOST) {
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
            cs_fail(c, "mount tmpfs", "/tmp", errno);
        if (cwd_fd >= 0) {
            char src[64] = "/proc/self/fd/";
            int fd = cwd_fd, len = 14;
            char digits[12]; int nd = 0;
            do { digits[nd++] = (char)('0' + fd % 10); fd /= 10; } while (fd > 0);
            while (nd > 0) src[len++] = digits[--nd];
            src[len] = 0;
            int r = cs_mkdir_p(c->cwd);
            if (r < 0) cs_fail(c, "mkdir cwd in /tmp", c->cwd, -r);
            if (mount(src, c->cwd, NULL, MS_BIND | MS_REC, NULL) < 0) cs_fail(c, "bind cwd", c->cwd, errno);
            if (c->fs_mode == CSPAWN_FS_READONLY) {
                struct cs_mount_attr rw = { 0, MOUNT_ATTR_RDONLY, 0, 0 };
                syscall(SYS_mount_setattr, AT_FDCWD, c->cwd, AT_RECURSIVE, &rw, sizeof rw);
            }
            close(cwd_fd);
        }
    }
    if (c->mount_proc && (c->namespaces & CLONE_NEWPID)) {
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            cs_fail(c, "mount proc", "/proc", errno);
    }
}

static void cs_loopback_up(const struct cspawn_config *c) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) cs_fail(c, "socket", "lo", errno);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    cs_copy(ifr.ifr_name, IFNAMSIZ, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) cs_fail(c, "SIOCGIFFLAGS", "lo", errno);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) cs_fail(c, "SIOCSIFFLAGS", "lo", errno);
    close(s);
}

/* Namespaces exist already (clone flags); everything shared by the init and the workload. */
static void cs_setup_common(const struct cspawn_config *c) {
    if (c->uid_map) {
        if (cs_write_file("/proc/self/setgroups", "deny") < 0 && errno != ENOENT) { /* old kernels */ }
        int r = cs_write_file("/proc/self/uid_map", c->uid_map);
        if (r < 0) cs_fail(c, "write uid_map", c->uid_map, -r);
        if (c->gid_map && (r = cs_write_file("/proc/self/gid_map", c->gid_map)) < 0)
            cs_fail(c, "write gid_map", c->gid_map, -r);
    }
    if (c->cgroup_procs) {
        for (int i = 0; c->cgroup_procs[i]; i++) {
            int r = cs_write_file(c->cgroup_procs[i], "0");
            if (r < 0) cs_fail(c, "join cgroup", c->cgroup_procs[i], -r);
        }
        cs_mark(c, "child: cgroups joined");
    }
    cs_setup_mounts(c);
    cs_mark(c, "child: mounts done");
    if (c->loopback_up && (c->namespaces & CLONE_NEWNET)) cs_loopback_up(c);
    if (c->hostname && (c->namespaces & CLONE_NEWUTS)) sethostname(c->hostname, cs_strlen(c->hostname));
    cs_mark(c, "child: lo + hostname done");
}

/* Closes every fd >= 3 except those in keep[] (sorted ascending). */
static void cs_close_from_3(const int *keep, int nkeep) {
    unsigned int lo = 3;
    for (int i = 0; i < nkeep; i++) {
        if (keep[i] < (int)lo) continue;
        if ((unsigned int)keep[i] > lo) syscall(SYS_close_range, lo, (unsigned int)keep[i] - 1, 0);
        lo = (unsigned int)keep[i] + 1;
    }
    syscall(SYS_close_range, lo, ~0U, 0);
}

static int cs_send_fd(int sock, int fd) {
    char dummy = 'F';
    struct iovec iov = { &dummy, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    memset(&u, 0, sizeof u);
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov; msg.msg_iovlen = 1;
    msg.msg_control = u.buf; msg.msg_controllen = sizeof u.buf;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET; cm->cmsg_type = SCM_RIGHTS; cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof(int));
    return sendmsg(sock, &msg, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

static void cs_sort(int *a, int n) {
    for (int i = 1; i < n; i++) for (int j = i; j > 0 && a[j - 1] > a[j]; j--) { int t = a[j]; a[j] = a[j - 1]; a[j - 1] = t; }
}

/* The workload's last steps: fds, privileges, seccomp, execve. Never returns. */
static void cs_exec_workload(const struct cspawn_config *c) {
    if (c->cwd && chdir(c->cwd) < 0) cs_fail(c, "chdir", c->cwd, errno);

    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul < 0) cs_fail(c, "open", "/dev/null", errno);
    if (dup2(nul, 0) < 0) cs_fail(c, "dup2 stdin", "", errno);
    if (c->stdout_fd >= 0 && dup2(c->stdout_fd, 1) < 0) cs_fail(c, "dup2 stdout", "", errno);
    if (c->stderr_fd >= 0 && dup2(c->stderr_fd, 2) < 0) cs_fail(c, "dup2 stderr", "", errno);

    int keep[4], nkeep = 0;
    int exec_pipe = c->exec_pipe;
    if (c->metrics_fd >= 0) {
        /* fd 3 may be one of our own pipes: move those out of the way first. */
        if (exec_pipe == 3) { exec_pipe = fcntl(3, F_DUPFD_CLOEXEC, 10); }
        int notify = c->notify_sock;
        if (notify == 3) notify = fcntl(3, F_DUPFD_CLOEXEC, 10);
        if (c->metrics_fd != 3 && dup2(c->metrics_fd, 3) < 0) cs_fail(c, "dup2 metrics", "", errno);
        if (c->metrics_fd == 3) fcntl(3, F_SETFD, 0);
        keep[nkeep++] = 3;
        ((struct cspawn_config *)c)->exec_pipe = exec_pipe;   /* our private copy of the config */
        ((struct cspawn_config *)c)->notify_sock = notify;
    }
    keep[nkeep++] = c->exec_pipe;
    if (c->seccomp_listener) keep[nkeep++] = c->notify_sock;
    cs_sort(keep, nkeep);
    cs_close_from_3(keep, nkeep);
    cs_mark(c, "workload: fds set");

    for (int i = 0; i < c->nrlimits; i++) {
        struct rlimit rl = { c->rlimits[i].cur, c->rlimits[i].max };
        if (setrlimit(c->rlimits[i].resource, &rl) < 0) cs_fail(c, "setrlimit", "", errno);
    }
    if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cs_fail(c, "no_new_privs", "", errno);

    if (c->seccomp_filter) {
        struct sock_fprog prog = { c->seccomp_len, (struct sock_filter *)c->seccomp_filter };
        if (c->seccomp_listener) {
            long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
            if (fd < 0) cs_fail(c, "seccomp", "load filter with listener", errno);
            int r = cs_send_fd(c->notify_sock, (int)fd);
            if (r < 0) cs_fail(c, "seccomp", "send listener", -r);
            close((int)fd);
            close(c->notify_sock);
        } else if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
            cs_fail(c, "seccomp", "load filter", errno);
        }
        cs_mark(c, "workload: seccomp loaded");
    }

    struct cspawn_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CSPAWN_MSG_EXEC;
    m.ns = cspawn_now_ns();
    cs_write_all(c->exec_pipe, &m, sizeof m);
    execve(c->path, c->argv, c->envp);
    cs_fail(c, "execve", c->path, errno);
}

/* PID 1 of the run: forwards signals to the workload, reaps everything, reports the workload's status. */
static void cs_init_main(const struct cspawn_config *c) {
    if (c->announce_setup) {
        struct cspawn_msg m;
        memset(&m, 0, sizeof m);
        m.kind = CSPAWN_MSG_SETUP;
        m.ns = cspawn_now_ns();
        cs_write_all(c->exec_pipe, &m, sizeof m);
    }
    if (c->gate_fd >= 0) {
        char go;
        ssize_t n;
        do { n = read(c->gate_fd, &go, 1); } while (n < 0 && errno == EINTR);
        if (n != 1) _exit(0);   /* the parent gave up: nothing to report */
        close(c->gate_fd);
        cs_mark(c, "init: gate opened");
    }
    sigset_t all, old;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, &old);

    /* A raw clone, not glibc's fork(): fork() runs atfork handlers and takes malloc's locks,
     * which another thread of the (multi-threaded) parent may have held at the moment we were
     * cloned — in this copy nobody would ever release them. */
    pid_t child = (pid_t)syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
    if (child < 0) cs_fail(c, "fork", "workload", errno);
    if (child == 0) {
        cs_mark(c, "workload: forked");
        sigprocmask(SIG_SETMASK, &old, NULL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        cs_exec_workload(c);
    }
    /* The workload's copy of the exec pipe closes at execve: the parent's EOF means "exec'd". */
    close(c->exec_pipe);
    if (c->notify_sock >= 0) close(c->notify_sock);
    if (c->stdout_fd >= 0) close(c->stdout_fd);
    if (c->stderr_fd >= 0) close(c->stderr_fd);
    if (c->metrics_fd >= 0) close(c->metrics_fd);

    int lingering = 0;
    for (;;) {
        siginfo_t si;
        int sig = sigwaitinfo(&all, &si);
        if (sig < 0) continue;
        if (sig == SIGCHLD) {
            for (;;) {
                int status = 0;
                pid_t p = waitpid(-1, &status, WNOHANG);
                if (p <= 0) break;
                if (p == child && !lingering) {
                    struct cspawn_msg m;
                    memset(&m, 0, sizeof m);
                    m.kind = CSPAWN_MSG_STATUS;
                    m.err = status;
                    m.pid = p;
                    m.ns = cspawn_now_ns();
                    cs_write_all(c->status_pipe, &m, sizeof m);
                    /* Leaving kills whatever is left in the PID namespace: nothing outlives the run.
                     * With services the parent first stops them (SIGTERM, grace, SIGKILL), then
                     * tells us to go with a signal. */
                    if (!c->linger) _exit(0);
                    lingering = 1;
                }
            }
        } else if (lingering) {
            /* The workload is gone (its PID may be reused): no forwarding; any signal means leave. */
            if (sig != SIGPIPE && sig != SIGWINCH && sig != SIGURG) _exit(0);
        } else if (sig != SIGPIPE && sig != SIGWINCH && sig != SIGURG) {
            kill(child, sig);
        }
    }
}

static int cs_child(const struct cspawn_config *c) {
    /* Other threads of the parent may be spawning runs at the same time: their pipes were
     * copied into us by clone. Drop everything that is not ours at once, or their EOFs would
     * wait for our exit. */
    int keep[8], nkeep = 0;
    int mine[7] = { c->exec_pipe, c->status_pipe, c->stdout_fd, c->stderr_fd, c->metrics_fd, c->notify_sock, c->gate_fd };
    for (int i = 0; i < 7; i++) if (mine[i] >= 3) keep[nkeep++] = mine[i];
    cs_sort(keep, nkeep);
    cs_close_from_3(keep, nkeep);
    cs_reset_signals();
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    setsid();
    cs_mark(c, "child: started");
    cs_setup_common(c);
    if (c->use_init) cs_init_main(c);
    cs_exec_workload(c);
    return 127;
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

int cspawn_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

int cspawn_start(const struct cspawn_config *cfg, struct cspawn_result *out) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    int pidfd = -1;
    args.flags = (uint64_t)cfg->namespaces | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    if (cfg->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cfg->cgroup_fd;
    }
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS && cfg->cgroup_fd < 0) {
        /* Pre-5.3 kernels: the classic clone, which also knows CLONE_PIDFD since 5.2. */
        pid = syscall(SYS_clone, (unsigned long)cfg->namespaces | CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    }
    if (pid < 0) return -errno;
    if (pid == 0) {
        _exit(cs_child(cfg));
    }
    out->pid = (int)pid;
    out->pidfd = pidfd;
    return 0;
}

/* ---- services ---- */

/* Reports a failed step of a service on its exec pipe and exits. */
static void cs_svc_fail(const struct cspawn_service *s, const char *step, const char *detail, int err) {
    cs_fail_on(s->exec_pipe, step, detail, err);
}

/* The service process itself: already in the run's namespaces. Never returns. */
static void cs_svc_exec(const struct cspawn_service *s) {
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
    /* Its own cgroups first, before it can fork or allocate anything worth counting. The fds were
     * opened in the host's mount namespace: /sys may be read-only in the run's. */
    for (int i = 0; i < s->ncgroups; i++) {
        ssize_t n;
        do { n = write(s->cgroup_fds[i], "0", 1); } while (n < 0 && errno == EINTR);
        if (n < 0) cs_svc_fail(s, "join cgroup", "service cgroup.procs", errno);
    }
    setsid();
    if (s->cwd && chdir(s->cwd) < 0) cs_svc_fail(s, "chdir", s->cwd, errno);
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul < 0) cs_svc_fail(s, "open", "/dev/null", errno);
    if (dup2(nul, 0) < 0) cs_svc_fail(s, "dup2 stdin", "", errno);
    if (s->stdout_fd >= 0 && dup2(s->stdout_fd, 1) < 0) cs_svc_fail(s, "dup2 stdout", "", errno);
    if (s->stderr_fd >= 0 && dup2(s->stderr_fd, 2) < 0) cs_svc_fail(s, "dup2 stderr", "", errno);
    int keep[1] = { s->exec_pipe };
    cs_close_from_3(keep, 1);
    if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cs_svc_fail(s, "no_new_privs", "", errno);
    if (s->seccomp_filter) {
        struct sock_fprog prog = { s->seccomp_len, (struct sock_filter *)s->seccomp_filter };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) cs_svc_fail(s, "seccomp", "load filter", errno);
    }
    struct cspawn_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CSPAWN_MSG_EXEC;
    m.ns = cspawn_now_ns();
    cs_write_all(s->exec_pipe, &m, sizeof m);
    execve(s->path, s->argv, s->envp);
    cs_svc_fail(s, "execve", s->path, errno);
}

/* The intermediate: drops foreign fds, joins the namespaces, clones the service as a sibling
 * (CLONE_PARENT: the caller of cspawn_service_start becomes its parent), reports its PID. */
static void cs_svc_mid(const struct cspawn_service *s, int pid_pipe) {
    int keep[CSPAWN_MAX_NS + CSPAWN_MAX_CGROUPS + 4], nkeep = 0;
    int mine[4] = { pid_pipe, s->exec_pipe, s->stdout_fd, s->stderr_fd };
    for (int i = 0; i < 4; i++) if (mine[i] >= 3) keep[nkeep++] = mine[i];
    for (int i = 0; i < s->nns && i < CSPAWN_MAX_NS; i++) if (s->ns_fds[i] >= 3) keep[nkeep++] = s->ns_fds[i];
    for (int i = 0; i < s->ncgroups && i < CSPAWN_MAX_CGROUPS; i++) if (s->cgroup_fds[i] >= 3) keep[nkeep++] = s->cgroup_fds[i];
    cs_sort(keep, nkeep);
    cs_close_from_3(keep, nkeep);
    cs_reset_signals();
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

    int32_t result;
    for (int i = 0; i < s->nns; i++) {
        if (syscall(SYS_setns, s->ns_fds[i], s->ns_types[i]) < 0) {
            int e = errno;
            const char *what = s->ns_types[i] == CLONE_NEWUSER ? "user" : s->ns_types[i] == CLONE_NEWIPC ? "ipc"
                : s->ns_types[i] == CLONE_NEWUTS ? "uts" : s->ns_types[i] == CLONE_NEWNET ? "net"
                : s->ns_types[i] == CLONE_NEWPID ? "pid" : "mnt";
            result = -e;
            cs_write_all(pid_pipe, &result, sizeof result);
            cs_svc_fail(s, "setns", what, e);
        }
    }
    for (int i = 0; i < s->nns; i++) close(s->ns_fds[i]);
    /* A PID namespace applies to children only: the service is cloned now. */
    long pid = syscall(SYS_clone, (unsigned long)(CLONE_PARENT | SIGCHLD), 0, 0, 0, 0);
    if (pid == 0) cs_svc_exec(s);
    result = pid < 0 ? -errno : (int32_t)pid;
    cs_write_all(pid_pipe, &result, sizeof result);
    if (pid < 0) cs_svc_fail(s, "clone", "service", -result);
    _exit(0);
}

int cspawn_service_start(const struct cspawn_service *svc, int *out_pid) {
    if (svc->nns > CSPAWN_MAX_NS || svc->ncgroups > CSPAWN_MAX_CGROUPS) return -E2BIG;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) return -errno;
    long mid = syscall(SYS_clone, (unsigned long)SIGCHLD, 0, 0, 0, 0);
    if (mid < 0) { int e = errno; close(p[0]); close(p[1]); return -e; }
    if (mid == 0) cs_svc_mid(svc, p[1]);
    close(p[1]);
    int32_t result = 0;
    ssize_t n;
    do { n = read(p[0], &result, sizeof result); } while (n < 0 && errno == EINTR);
    close(p[0]);
    int st;
    while (waitpid((pid_t)mid, &st, 0) < 0 && errno == EINTR) {}
    if (n != (ssize_t)sizeof result) return -ECHILD;
    if (result < 0) return result;
    *out_pid = result;
    return 0;
}

struct cs_sock_req { int nsfd, domain, type, fd; };

static void *cs_sock_thread(void *arg) {
    struct cs_sock_req *r = arg;
    if (syscall(SYS_setns, r->nsfd, CLONE_NEWNET) < 0) { r->fd = -errno; return NULL; }
    int fd = socket(r->domain, r->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    r->fd = fd < 0 ? -errno : fd;
    return NULL;
}

int cspawn_socket_in_netns(int netns_fd, int domain, int type) {
    if (netns_fd < 0) {
        int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        return fd < 0 ? -errno : fd;
    }
    struct cs_sock_req r = { netns_fd, domain, type, -EINVAL };
    pthread_t t;
    int e = pthread_create(&t, NULL, cs_sock_thread, &r);
    if (e != 0) return -e;
    pthread_join(t, NULL);
    return r.fd;
}

int cspawn_pidfd_open(int pid) {
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
    long fd = syscall(SYS_pidfd_open, pid, 0);
    return fd < 0 ? -errno : (int)fd;
}


/* Small async-signal-safe helpers shared by the child-side files. See cs_internal.h. */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t cspawn_now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cspawn_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

/* For a helper cleanroom starts: descriptors cleanroom inherited without O_CLOEXEC (its caller's
 * pipes, say) must not keep their readers waiting for the helper. */
int cspawn_close_inherited(void) { return cs_close_from_3(0, 0); }

int cspawn_die_with_parent(void) { return prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0); }

/* The raw syscall: glibc's wrapper is 2.27+, and the header needs _GNU_SOURCE. */
int cspawn_memfd_cloexec(const char *name) { return (int)syscall(SYS_memfd_create, name, 1U /* MFD_CLOEXEC */); }

size_t cs_strlen(const char *s) { size_t n = 0; while (s && s[n]) n++; return n; }

void cs_copy(char *dst, size_t cap, const char *src) {
    size_t i = 0;
    if (src) for (; i + 1 < cap && src[i]; i++) dst[i] = src[i];
    dst[i] = 0;
}

void cs_write_all(int fd, const void *buf, size_t len) {
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) { if (errno == EINTR) continue; return; }
        p += n; len -= (size_t)n;
    }
}

void cs_fail_on(int pipe_fd, const char *step, const char *detail, int err) {
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

void cs_fail(const struct cspawn_config *c, const char *step, const char *detail, int err) {
    cs_fail_on(c->exec_pipe, step, detail, err);
}

void cs_mark(const struct cspawn_config *c, const char *step) {
    if (!c->trace) return;
    struct cspawn_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CSPAWN_MSG_MARK;
    m.ns = cspawn_now_ns();
    cs_copy(m.step, sizeof m.step, step);
    cs_write_all(c->exec_pipe, &m, sizeof m);
}

int cs_write_fd(int fd, const char *text) {
    ssize_t n;
    do { n = write(fd, text, cs_strlen(text)); } while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : 0;
}

int cs_write_file(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    int err = cs_write_fd(fd, text);
    close(fd);
    return err;
}

int cs_reset_signals(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    for (int s = 1; s < 65; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &sa, NULL);   /* EINVAL for the few reserved numbers: harmless */
    }
    sigset_t none;
    sigemptyset(&none);
    return sigprocmask(SIG_SETMASK, &none, NULL) < 0 ? -errno : 0;
}

/* mkdir -p inside a stack buffer (no malloc). The whole path first: its parents are usually
 * there (a cgroup view under /sys/fs/cgroup), and each component tried was a system call in the
 * run's set-up (docs/BENCHMARKS.md). Only when a parent is missing is the path walked. */
int cs_mkdir_p(const char *path) {
    char buf[4096];
    size_t n = cs_strlen(path);
    if (n >= sizeof buf) return -ENAMETOOLONG;
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return 0;
    if (errno != ENOENT) return -errno;
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

/* close_range(lo, hi), or close() one by one up to the fd limit (kernels before 5.9). */
static int cs_close_span(unsigned int lo, unsigned int hi) {
    if (syscall(SYS_close_range, lo, hi, 0) == 0) return 0;
    if (errno != ENOSYS && errno != EINVAL) return -errno;
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) return -errno;
    unsigned long top = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1u << 20 ? 1u << 20 : rl.rlim_cur;
    for (unsigned long fd = lo; fd <= hi && fd < top; fd++) close((int)fd);
    return 0;
}

int cs_close_from_3(const int *keep, int nkeep) {
    unsigned int lo = 3;
    for (int i = 0; i < nkeep; i++) {
        if (keep[i] < (int)lo) continue;
        if ((unsigned int)keep[i] > lo) {
            int r = cs_close_span(lo, (unsigned int)keep[i] - 1);
            if (r < 0) return r;
        }
        lo = (unsigned int)keep[i] + 1;
    }
    return cs_close_span(lo, ~0U);
}

int cs_send_fd(int sock, int fd) {
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

void cs_sort(int *a, int n) {
    for (int i = 1; i < n; i++) for (int j = i; j > 0 && a[j - 1] > a[j]; j--) { int t = a[j]; a[j] = a[j - 1]; a[j - 1] = t; }
}

void cs_fd_path(char *buf, int fd) {
    cs_copy(buf, 32, "/proc/self/fd/");
    int len = 14;
    char digits[12]; int nd = 0;
    do { digits[nd++] = (char)('0' + fd % 10); fd /= 10; } while (fd > 0);
    while (nd > 0) buf[len++] = digits[--nd];
    buf[len] = 0;
}

void cs_stdio_on(int pipe_fd, int out, int err) {
    int nul = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (nul < 0) cs_fail_on(pipe_fd, "open", "/dev/null", errno);
    if (dup2(nul, 0) < 0) cs_fail_on(pipe_fd, "dup2 stdin", "", errno);
    if (out >= 0 && dup2(out, 1) < 0) cs_fail_on(pipe_fd, "dup2 stdout", "", errno);
    if (err >= 0 && dup2(err, 2) < 0) cs_fail_on(pipe_fd, "dup2 stderr", "", errno);
}

void cs_stamp_and_exec(int pipe_fd, const char *path, char *const *argv, char *const *envp) {
    struct cspawn_msg m;
    memset(&m, 0, sizeof m);
    m.kind = CSPAWN_MSG_EXEC;
    /* What this process spent on the sandbox's steps before execve (under an init only its
     * signal mask and this stamp; else its fds, capabilities and seccomp too): rusage survives
     * execve, so it is charged apart from the workload's interval (startup_cpu). */
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        m.cpu_user_ns = (int64_t)ru.ru_utime.tv_sec * 1000000000 + (int64_t)ru.ru_utime.tv_usec * 1000;
        m.cpu_sys_ns = (int64_t)ru.ru_stime.tv_sec * 1000000000 + (int64_t)ru.ru_stime.tv_usec * 1000;
    } else {
        m.cpu_user_ns = m.cpu_sys_ns = -1;
    }
    m.ns = cspawn_now_ns();
    cs_write_all(pipe_fd, &m, sizeof m);
    execve(path, argv, envp);
    cs_fail_on(pipe_fd, "execve", path, errno);
}

int cs_cut_capabilities(uint64_t keep, int sets) {
    if (sets & CS_CAPS_EXEC) {
        for (int cap = 0; cap < 64; cap++) {
            if (keep & (1ULL << cap)) continue;
            /* EINVAL: no such capability on this kernel, past CAP_LAST_CAP, and so none after it
             * either (the kernel's test is cap <= CAP_LAST_CAP): ~23 calls a run less on 6.x. */
            if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0) {
                if (errno == EINVAL) break;
                return -errno;
            }
        }
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL) return -errno;
    }
    struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    if (syscall(SYS_capget, &hdr, data) < 0) return -errno;
    for (int i = 0; i < 2; i++) {
        uint32_t k = (uint32_t)(keep >> (32 * i));
        if (sets & CS_CAPS_OWN) { data[i].effective &= k; data[i].permitted &= k; }
        if (sets & CS_CAPS_EXEC) data[i].inheritable &= k;
    }
    if (syscall(SYS_capset, &hdr, data) < 0) return -errno;
    return 0;
}

/* Services: servers started inside a live run's namespaces (see cspawn.h). An intermediate
 * child setns()es into the run's namespaces and clones the service with CLONE_PARENT, so the
 * caller is its parent (it can wait4() it). Child side: raw system calls only. */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reports a failed step of a service on its exec pipe and exits. */
static void cs_svc_fail(const struct cspawn_service *s, const char *step, const char *detail, int err) __attribute__((noreturn));
static void cs_svc_fail(const struct cspawn_service *s, const char *step, const char *detail, int err) {
    cs_fail_on(s->exec_pipe, step, detail, err);
}

/* The service process itself: already in the run's namespaces. Never returns. */
static void cs_svc_exec(const struct cspawn_service *s) {
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) cs_svc_fail(s, "prctl", "PR_SET_PDEATHSIG", errno);
    /* Its own cgroups first, before it can fork or allocate anything worth counting. The fds were
     * opened in the host's mount namespace: /sys may be read-only in the run's. */
    for (int i = 0; i < s->ncgroups; i++) {
        int r = cs_write_fd(s->cgroup_fds[i], "0");
        if (r < 0) cs_svc_fail(s, "join cgroup", "service cgroup.procs", -r);
    }
    if (setsid() < 0) cs_svc_fail(s, "setsid", "", errno);
    if (s->cwd && chdir(s->cwd) < 0) cs_svc_fail(s, "chdir", s->cwd, errno);
    cs_stdio_on(s->exec_pipe, s->stdout_fd, s->stderr_fd);
    int keep[1] = { s->exec_pipe };
    int r = cs_close_from_3(keep, 1);
    if (r < 0) cs_svc_fail(s, "close_range", "inherited descriptors", -r);
    if (s->drop_caps && (r = cs_cut_capabilities(s->keep_caps, CS_CAPS_EXEC | CS_CAPS_OWN)) < 0) cs_svc_fail(s, "drop capabilities", "", -r);
    if (s->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cs_svc_fail(s, "no_new_privs", "", errno);
    if (s->seccomp_filter) {
        struct sock_fprog prog = { s->seccomp_len, (struct sock_filter *)s->seccomp_filter };
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) cs_svc_fail(s, "seccomp", "load filter", errno);
    }
    cs_stamp_and_exec(s->exec_pipe, s->path, s->argv, s->envp);
}

static const char *cs_ns_name(int type) {
    return type == CLONE_NEWUSER ? "user" : type == CLONE_NEWIPC ? "ipc" : type == CLONE_NEWUTS ? "uts"
        : type == CLONE_NEWNET ? "net" : type == CLONE_NEWPID ? "pid" : "mnt";
}

/* The intermediate: drops foreign fds, joins the namespaces, clones the service as a sibling
 * (CLONE_PARENT: the caller of cspawn_service_start becomes its parent), reports its PID. */
static void cs_svc_mid(const struct cspawn_service *s, int pid_pipe) {
    int32_t result;
    int keep[CSPAWN_MAX_NS + CSPAWN_MAX_CGROUPS + 4], nkeep = 0;
    int mine[4] = { pid_pipe, s->exec_pipe, s->stdout_fd, s->stderr_fd };
    for (int i = 0; i < 4; i++) if (mine[i] >= 3) keep[nkeep++] = mine[i];
    for (int i = 0; i < s->nns && i < CSPAWN_MAX_NS; i++) if (s->ns_fds[i] >= 3) keep[nkeep++] = s->ns_fds[i];
    for (int i = 0; i < s->ncgroups && i < CSPAWN_MAX_CGROUPS; i++) if (s->cgroup_fds[i] >= 3) keep[nkeep++] = s->cgroup_fds[i];
    cs_sort(keep, nkeep);
    int r = cs_close_from_3(keep, nkeep);
    if (r == 0) r = cs_reset_signals();
    if (r == 0 && prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) r = -errno;
    if (r < 0) {
        result = r;
        cs_write_all(pid_pipe, &result, sizeof result);
        cs_svc_fail(s, "prepare", "service intermediate", -r);
    }
    for (int i = 0; i < s->nns; i++) {
        if (syscall(SYS_setns, s->ns_fds[i], s->ns_types[i]) < 0) {
            int e = errno;
            result = -e;
            cs_write_all(pid_pipe, &result, sizeof result);
            cs_svc_fail(s, "setns", cs_ns_name(s->ns_types[i]), e);
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

/*
 * The child side of a sandboxed run. See cspawn.h for the contract.
 *
 * Process shape (with a PID namespace):
 *   cleanroom ──clone3(new ns, [CLONE_INTO_CGROUP])──▶ init (PID 1) ──vfork──▶ workload ──execve
 * The init joins the run's cgroups, sets up mounts and loopback, does the workload's set-up,
 * spawns it, forwards signals to it and reports its wait status; when the init exits the kernel kills everything
 * left in the PID namespace, so daemons and grandchildren cannot outlive the run.
 *
 * Only raw system calls after clone: the parent is multi-threaded.
 */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif

/* The init's CPU when it had joined the run's groups by writes (v1 `tasks`): what it spent before
 * was charged to cleanroom's own groups, so only what came after is the sandbox's share of the
 * run's counters (startup_cpu). Zero when the clone put it into its group from the start. This
 * process's own copy (no CLONE_VM). */
static struct timeval cs_joined_utime, cs_joined_stime;

static int64_t cs_ns_since(struct timeval now, struct timeval then) {
    return ((int64_t)now.tv_sec - then.tv_sec) * 1000000000 + ((int64_t)now.tv_usec - then.tv_usec) * 1000;
}

/* Namespaces exist already (clone flags); everything shared by the init and the workload. */
static void cs_setup_common(const struct cspawn_config *c) {
    /* Before the mounts: a sysfs mounted later belongs to the namespace we are in then. */
    if (c->netns_fd >= 3) {
        if (syscall(SYS_setns, c->netns_fd, CLONE_NEWNET) < 0) cs_fail(c, "setns", "the run's network namespace", errno);
        close(c->netns_fd);
    }
    if (c->uid_map) {
        int r = cs_write_file("/proc/self/setgroups", "deny");
        if (r < 0 && r != -ENOENT) cs_fail(c, "write setgroups", "deny", -r);   /* ENOENT: old kernels */
        r = cs_write_file("/proc/self/uid_map", c->uid_map);
        if (r < 0) cs_fail(c, "write uid_map", c->uid_map, -r);
        if (c->gid_map && (r = cs_write_file("/proc/self/gid_map", c->gid_map)) < 0)
            cs_fail(c, "write gid_map", c->gid_map, -r);
    }
    if (c->cgroup_procs) {
        for (int i = 0; c->cgroup_procs[i]; i++) {
            /* Before the last join (the CPU-accounting group comes last: RunGroups.childJoinFiles):
             * getrusage also brings the scheduler's account of our CPU up to date, so all we
             * spent so far is charged to the group we leave — else the part since the last tick
             * lands in the run's counter after the move, but in neither figure. */
            if (!c->cgroup_procs[i + 1]) {
                struct rusage ru;
                if (getrusage(RUSAGE_SELF, &ru) == 0) { cs_joined_utime = ru.ru_utime; cs_joined_stime = ru.ru_stime; }
            }
            int r = i < c->ncgroup_join_fds ? cs_write_fd(c->cgroup_join_fds[i], "0") : cs_write_file(c->cgroup_procs[i], "0");
            if (r < 0) cs_fail(c, "join cgroup", c->cgroup_procs[i], -r);
        }
        for (int i = 0; i < c->ncgroup_join_fds; i++) close(c->cgroup_join_fds[i]);
        cs_mark(c, "child: cgroups joined");
    }
    /* Entered once every group is joined: its root is the run's own group, so /proc/self/cgroup
     * says "/" and, with the views at /sys/fs/cgroup, runtimes find their limits where they look. */
    if (c->new_cgroupns && unshare(CSPAWN_NEWCGROUP) < 0) cs_fail(c, "unshare", "cgroup namespace", errno);
    cs_setup_mounts(c);
    cs_mark(c, "child: mounts done");
    if (c->loopback_up && (c->namespaces & CLONE_NEWNET) && c->netns_fd < 3) cs_loopback_up(c);
    if (c->hostname && (c->namespaces & CLONE_NEWUTS) && sethostname(c->hostname, cs_strlen(c->hostname)) < 0)
        cs_fail(c, "sethostname", c->hostname, errno);
    cs_mark(c, "child: lo + hostname done");
}

/* Descriptors: only 0, 1, 2 reach the workload; the exec pipe, the status pipe (the init's) and
 * the listener socket are CLOEXEC or closed before execve; custom metrics go to a path
 * ($CLEANROOM_METRICS), not a descriptor. */
static void cs_set_descriptors(const struct cspawn_config *c, int keep_status) {
    if (c->cwd && chdir(c->cwd) < 0) cs_fail(c, "chdir", c->cwd, errno);
    cs_stdio_on(c->exec_pipe, c->stdout_fd, c->stderr_fd);
    int keep[3], nkeep = 0;
    keep[nkeep++] = c->exec_pipe;
    if (keep_status) keep[nkeep++] = c->status_pipe;
    if (c->seccomp_listener) keep[nkeep++] = c->notify_sock;
    cs_sort(keep, nkeep);
    int r = cs_close_from_3(keep, nkeep);
    if (r < 0) cs_fail(c, "close_range", "inherited descriptors", -r);
    cs_mark(c, "workload: fds set");
}

static void cs_set_rlimits(const struct cspawn_config *c) {
    for (int i = 0; i < c->nrlimits; i++) {
        struct rlimit rl = { c->rlimits[i].cur, c->rlimits[i].max };
        if (setrlimit(c->rlimits[i].resource, &rl) < 0) cs_fail(c, "setrlimit", "", errno);
    }
}

/* `sets`: the init cuts only what an execve would grant (CS_CAPS_EXEC) and keeps its own set
 * until it has spawned the workload, which then gets exactly what its execve grants. */
static void cs_drop_privileges(const struct cspawn_config *c, int sets) {
    int r;
    if (c->drop_caps && (r = cs_cut_capabilities(c->keep_caps, sets)) < 0)
        cs_fail(c, "drop capabilities", "", -r);
    if (c->no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) cs_fail(c, "no_new_privs", "", errno);
}

static void cs_load_filter(const struct cspawn_config *c) {
    if (!c->seccomp_filter) return;
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

/* The workload's stack while it shares the init's memory (until execve). The init is single
 * threaded and sleeps meanwhile (CLONE_VFORK), so a static stack serves. */
static char cs_workload_stack[64 * 1024] __attribute__((aligned(64)));

/* The workload under an init: only what is per process and cannot be inherited is left to it
 * (its signal mask — the handlers are the defaults already, reset in cs_child —, its rlimits,
 * which would bind the init's own clone, and the filter when the init could not load it), then
 * the stamp and execve. Its own getrusage (which survives execve) so holds almost nothing of the
 * sandbox. No PDEATHSIG: its parent is the init, whose exit kills the whole PID namespace. It
 * runs in the init's memory: it changes its own descriptors and task state, never `c`. */
static int cs_workload_main(void *arg) {
    struct cspawn_config *c = arg;
    sigset_t none;
    sigemptyset(&none);
    if (sigprocmask(SIG_SETMASK, &none, NULL) < 0) cs_fail(c, "sigprocmask", "workload", errno);
    cs_set_rlimits(c);
    if (!c->filter_allows_spawn) cs_load_filter(c);
    cs_stamp_and_exec(c->exec_pipe, c->path, c->argv, c->envp);
    return 127;
}

/* PID 1 of the run: forwards signals to the workload, reaps everything, reports the workload's status. */
static void cs_init_main(struct cspawn_config *c) {
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
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_BLOCK, &all, NULL) < 0) cs_fail(c, "sigprocmask", "init", errno);
    /* The init is a copy of cleanroom (its heap holds the config, webhook URLs, the environment):
     * non-dumpable, /proc/1/mem, environ, maps and ptrace need CAP_SYS_PTRACE, which the run lacks.
     * After the gate: services were started through /proc/<init>/ns, which the parent opens. */
    if (c->hide_parent && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) cs_fail(c, "prctl", "PR_SET_DUMPABLE", errno);

    /* The workload's set-up is done here, by the init, and inherited: the workload's own rusage
     * then holds none of it (above all the filter's load, ~150 µs: the kernel JIT-compiles it).
     * The init never execs, so the capability bounding set and no_new_privs change nothing for
     * it; under the filter, what it still calls (clone, openat, rt_sigtimedwait, wait4, kill,
     * getrusage, write, close, capget/capset, exit_group) is allowed by our own policies — an
     * OCI profile may refuse them, so then the workload loads the filter itself
     * (`filter_allows_spawn` 0). */
    cs_set_descriptors(c, 1);
    cs_drop_privileges(c, CS_CAPS_EXEC);
    if (c->filter_allows_spawn) cs_load_filter(c);

    /* Not glibc's fork(): fork() runs atfork handlers and takes malloc's locks, which another
     * thread of the (multi-threaded) parent may have held at the moment we were cloned — in this
     * copy nobody would ever release them. And not a copy of our memory either (CLONE_VM +
     * CLONE_VFORK, as posix_spawn does): a forked copy of cleanroom spends its first and last
     * moments in copy-on-write faults and, inside execve, tearing that copy down — CPU that the
     * kernel charges to the workload's process. The init sleeps until the workload has exec'd
     * or failed. */
    pid_t child = clone(cs_workload_main, cs_workload_stack + sizeof cs_workload_stack,
                        CLONE_VM | CLONE_VFORK | SIGCHLD, c);
    if (child < 0) cs_fail(c, "fork", "workload", errno);
    /* The init is a copy of cleanroom: its RSS (cleanroom's pages) makes it the OOM killer's
     * favourite in the run's memory cgroup, which would kill the whole run instead of the process
     * that overran the limit. It only reaps, so it is exempt — written after the workload was
     * spawned, which would inherit the value (never killable: a run at its memory limit would
     * hang) and the right to set it again. Lowering needs CAP_SYS_RESOURCE, which the init still
     * holds; in a user namespace this fails (EACCES) and the init stays eligible, as before. */
    int adj = cs_write_file("/proc/self/oom_score_adj", "-1000");
    if (adj < 0 && adj != -EACCES && adj != -EPERM) cs_fail(c, "write oom_score_adj", "-1000", -adj);
    /* Now the init holds no more than the workload was given. */
    int cr;
    if (c->drop_caps && (cr = cs_cut_capabilities(c->keep_caps, CS_CAPS_OWN)) < 0) cs_fail(c, "drop capabilities", "init", -cr);

    /* The workload's copy of the exec pipe closed at execve: the parent's EOF means "exec'd".
     * The output pipes are the workload's alone: their EOF must not wait for the init. */
    close(c->exec_pipe);
    close(1);
    close(2);
    if (c->seccomp_listener && !c->filter_allows_spawn) close(c->notify_sock);
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
                    struct rusage ru;
                    if (getrusage(RUSAGE_SELF, &ru) == 0) {
                        m.cpu_user_ns = cs_ns_since(ru.ru_utime, cs_joined_utime);
                        m.cpu_sys_ns = cs_ns_since(ru.ru_stime, cs_joined_stime);
                        struct timeval zero = { 0, 0 };
                        m.joined_cpu_ns = cs_ns_since(cs_joined_utime, zero) + cs_ns_since(cs_joined_stime, zero);
                        struct rusage ch;
                        m.child_cpu_ns = getrusage(RUSAGE_CHILDREN, &ch) == 0
                            ? cs_ns_since(ch.ru_utime, zero) + cs_ns_since(ch.ru_stime, zero) : -1;
                    } else {
                        m.cpu_user_ns = m.cpu_sys_ns = -1;
                    }
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

int cs_child(const struct cspawn_config *cfg) {
    /* Our own copy of the config (memory is copied at clone): descriptors may be renumbered. */
    struct cspawn_config copy = *cfg;
    struct cspawn_config *c = &copy;
    /* Other threads of the parent may be spawning runs at the same time: their pipes were
     * copied into us by clone. Drop everything that is not ours at once, or their EOFs would
     * wait for our exit. */
    int keep[8 + CSPAWN_MAX_CGROUPS], nkeep = 0;
    int mine[8] = { c->exec_pipe, c->status_pipe, c->stdout_fd, c->stderr_fd, c->notify_sock, c->gate_fd,
                    c->metrics_path ? c->metrics_fd : -1, c->netns_fd };
    for (int i = 0; i < 8; i++) if (mine[i] >= 3) keep[nkeep++] = mine[i];
    if (c->ncgroup_join_fds > CSPAWN_MAX_CGROUPS) c->ncgroup_join_fds = 0;   /* by path then */
    for (int i = 0; i < c->ncgroup_join_fds; i++) if (c->cgroup_join_fds[i] >= 3) keep[nkeep++] = c->cgroup_join_fds[i];
    cs_sort(keep, nkeep);
    int r = cs_close_from_3(keep, nkeep);
    if (r < 0) cs_fail(c, "close_range", "inherited descriptors", -r);
    /* Handlers and the signal mask of the parent's thread must not reach the run, on the path
     * with an init (it blocks what it waits for itself) and on the path without one. */
    if ((r = cs_reset_signals()) < 0) cs_fail(c, "sigprocmask", "child", -r);
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) cs_fail(c, "prctl", "PR_SET_PDEATHSIG", errno);
    if (setsid() < 0) cs_fail(c, "setsid", "", errno);
    /* cleanroom's argv and environment strings, in our copy of its memory: what /proc/PID/cmdline
     * and environ show of the init, and of the workload until it execs. */
    for (int i = 0; i < 4; i += 2)
        if (c->wipe[i] && c->wipe[i + 1] > c->wipe[i]) memset((void *)c->wipe[i], 0, c->wipe[i + 1] - c->wipe[i]);
    cs_mark(c, "child: started");
    cs_setup_common(c);
    if (c->use_init) cs_init_main(c);
    cs_set_descriptors(c, 0);
    cs_set_rlimits(c);
    cs_drop_privileges(c, CS_CAPS_EXEC | CS_CAPS_OWN);
    cs_load_filter(c);
    cs_stamp_and_exec(c->exec_pipe, c->path, c->argv, c->envp);
    return 127;
}

int cspawn_start(const struct cspawn_config *cfg, struct cspawn_result *out) {
    struct clone_args args;
    memset(&args, 0, sizeof args);
    int pidfd = -1;
    /* A network namespace made ahead (netns_fd) is joined by the child instead. */
    unsigned long namespaces = (unsigned long)cfg->namespaces & ~(cfg->netns_fd >= 3 ? (unsigned long)CLONE_NEWNET : 0UL);
    args.flags = (uint64_t)namespaces | CLONE_PIDFD;
    args.pidfd = (uint64_t)(uintptr_t)&pidfd;
    args.exit_signal = SIGCHLD;
    if (cfg->cgroup_fd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = (uint64_t)cfg->cgroup_fd;
    }
    long pid = syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0 && errno == ENOSYS && cfg->cgroup_fd < 0) {
        /* Pre-5.3 kernels: the classic clone, which also knows CLONE_PIDFD since 5.2. */
        pid = syscall(SYS_clone, namespaces | CLONE_PIDFD | SIGCHLD, 0, &pidfd, 0, 0);
    }
    if (pid < 0) return -errno;
    if (pid == 0) _exit(cs_child(cfg));
    out->pid = (int)pid;
    out->pidfd = pidfd;
    return 0;
}

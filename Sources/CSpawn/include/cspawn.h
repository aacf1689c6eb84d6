#ifndef CSPAWN_H
#define CSPAWN_H
/*
 * The child side of spawning a sandboxed run, plus the parent-side libseccomp helpers.
 *
 * Everything the child needs is prepared by the parent (Swift) in `struct cspawn_config`:
 * strings, argv/envp arrays, file descriptors, the compiled seccomp BPF. Between clone and
 * execve the child only makes raw system calls — no malloc, no stdio, no Swift runtime —
 * because the parent is multi-threaded and only async-signal-safe work is defined after fork.
 */
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/resource.h>

/* Linux constants Swift's Glibc module does not export (they sit behind _GNU_SOURCE). */
#define CSPAWN_NEWNS 0x00020000
#define CSPAWN_NEWUTS 0x04000000
#define CSPAWN_NEWIPC 0x08000000
#define CSPAWN_NEWUSER 0x10000000
#define CSPAWN_NEWPID 0x20000000
#define CSPAWN_NEWNET 0x40000000
#define CSPAWN_NEWCGROUP 0x02000000
#define CSPAWN_O_PATH 010000000
#define CSPAWN_RLIMIT_NPROC 6
#define CSPAWN_RLIMIT_AS 9
/* pipe2(O_CLOEXEC); 0 or -1 with errno. */
int cspawn_pipe_cloexec(int fds[2]);
/* memfd_create(name, MFD_CLOEXEC): an anonymous in-memory file; its fd or -1 with errno. */
int cspawn_memfd_cloexec(const char *name);
/* prctl(PR_SET_PDEATHSIG, SIGKILL) for the calling thread's process: 0 or -1 with errno. */
int cspawn_die_with_parent(void);
/* Closes every descriptor from 3 up (close_range, or one by one): 0 or -errno. */
int cspawn_close_inherited(void);

#define CSPAWN_FS_HOST 0
#define CSPAWN_FS_PRIVATE_TMP 1
#define CSPAWN_FS_READONLY 2

/* Records on the exec pipe / status pipe (fixed size, one write each: atomic on a pipe). */
#define CSPAWN_MSG_EXEC 1     /* the workload is about to execve: `ns` = CLOCK_MONOTONIC */
#define CSPAWN_MSG_ERROR 2    /* a step before execve failed: `err` = errno, `step`, `detail` */
#define CSPAWN_MSG_STATUS 3   /* the init reaped the workload: `err` = wait status, `ns` = when */
#define CSPAWN_MSG_SETUP 4    /* the init finished the run's setup and waits at the gate (announce_setup) */
#define CSPAWN_MSG_MARK 5     /* trace only (cfg.trace): `step` reached at `ns` (CLEANROOM_TRACE_SPAWN) */

struct cspawn_msg {
    int32_t kind;
    int32_t err;
    int64_t ns;
    int32_t pid;       /* STATUS: the workload's pid as the init sees it */
    char step[28];
    char detail[184];
    int64_t cpu_user_ns;   /* EXEC: the workload process's CPU before execve; STATUS: the init's */
    int64_t cpu_sys_ns;    /* own CPU since it joined its groups by writes (-1: unknown): startup_cpu */
    int64_t child_cpu_ns;  /* STATUS: the init's RUSAGE_CHILDREN then (user + system) */
    int64_t joined_cpu_ns; /* STATUS: the init's own CPU when it had joined (user + system) */
};

struct cspawn_rlimit {
    int resource;
    rlim_t cur;
    rlim_t max;
};

struct cspawn_config {
    const char *path;              /* executable, absolute or relative to cwd */
    char *const *argv;
    char *const *envp;
    const char *cwd;
    int namespaces;                /* CLONE_NEW* flags */
    int use_init;                  /* 1: a PID-1 reaper sits between cleanroom and the workload */
    int fs_mode;                   /* CSPAWN_FS_* (needs CLONE_NEWNS unless HOST) */
    int cwd_hidden;                /* cwd is under /tmp or /dev/shm, which the private-tmp and readonly
                                      modes replace with fresh tmpfs: it is bound back at its path */
    int mount_proc;                /* fresh /proc for the new PID namespace */
    int loopback_up;               /* bring `lo` up in a new network namespace */
    const char *hostname;          /* NULL: keep */
    const char *const *cgroup_procs; /* NULL-terminated files the child writes "0" to, first thing:
                                      v1 `tasks` (moves the calling thread: no RCU grace period
                                      since 6.1), cgroup2 `cgroup.procs` without CLONE_INTO_CGROUP */
    const int *cgroup_join_fds;    /* the first ncgroup_join_fds files of cgroup_procs, opened O_WRONLY
                                      by the parent when it made the groups (ahead, on another thread):
                                      written instead of opened by path, and closed once joined */
    int ncgroup_join_fds;
    int cgroup_fd;                 /* >= 0: clone3(CLONE_INTO_CGROUP) into this cgroup2 dir */
    int stdout_fd, stderr_fd;      /* become fd 1 and 2 */
    const char *metrics_path;      /* the custom-metrics file ($CLEANROOM_METRICS), made by the parent:
                                      kept reachable and writable at the same path in every
                                      filesystem mode (bound back over a private /tmp or /dev/shm, made writable
                                      under a read-only root). NULL: none */
    int metrics_fd;                /* >= 3: that file as the parent made it (O_PATH): what the child's
                                      bind by path must be (same device and inode), else it fails */
    const void *seccomp_filter;    /* struct sock_filter[], NULL: no filter */
    unsigned short seccomp_len;
    int seccomp_listener;          /* 1: load with NEW_LISTENER and send the fd over notify_sock */
    int filter_allows_spawn;       /* 1: the filter allows what the init still calls after loading it
                                      (SeccompPolicy.initNeeds), so under an init the init loads it
                                      before spawning the workload: none of it in the workload's
                                      rusage. 0: the workload loads it itself */
    int notify_sock;
    int exec_pipe;                 /* write end (CLOEXEC): CSPAWN_MSG_EXEC / ERROR */
    int status_pipe;               /* write end (CLOEXEC): CSPAWN_MSG_STATUS from the init */
    const struct cspawn_rlimit *rlimits;
    int nrlimits;
    int no_new_privs;
    int drop_caps;                 /* 1: keep only `keep_caps` (CAP_* bit mask) in every capability set */
    uint64_t keep_caps;
    int gate_fd;                   /* >= 0: the init waits for one byte here before forking the
                                      workload (the parent joins it to cgroups, starts services);
                                      EOF instead of a byte: abort quietly */
    const char *uid_map;           /* with CLONE_NEWUSER: "0 1000 1", NULL otherwise */
    const char *gid_map;
    int announce_setup;            /* 1: the init writes CSPAWN_MSG_SETUP on exec_pipe before waiting
                                      at the gate (services start once mounts and `lo` are there) */
    int linger;                    /* 1: after reporting the workload's status the init stays (its exit
                                      would SIGKILL the services at once) until a signal arrives */
    int trace;                     /* 1: CSPAWN_MSG_MARK records on exec_pipe at each step (diagnostics) */
    /* Protections (docs/sandbox.md "What the workload sees"); each needs CLONE_NEWNS. */
    int protect_proc;              /* 1: Docker's read-only and masked paths on the run's own /proc */
    int protect_sys;               /* 1: /sys read-only, /sys/fs/cgroup replaced by the run's own groups */
    const char *const *cgroup_views; /* NULL-terminated pairs: a host cgroup dir of the run, the path it
                                      is bound at (read-only) inside: /sys/fs/cgroup or a dir under it */
    int new_cgroupns;              /* 1: unshare(CLONE_NEWCGROUP) once the run's cgroups are joined */
    int hide_parent;               /* 1: the init is made non-dumpable (no /proc/1/mem, environ, ptrace) */
    int netns_fd;                  /* >= 3: a network namespace made for this run (cspawn_netns_make,
                                      `lo` up), joined first thing instead of CLONE_NEWNET */
    unsigned long wipe[4];         /* cleanroom's argv and environment strings (arg_start, arg_end,
                                      env_start, env_end of /proc/self/stat): zeroed in the child, so
                                      /proc/1/cmdline and environ show nothing of cleanroom's */
};

struct cspawn_result {
    int pid;     /* host PID of the init (or of the workload without an init) */
    int pidfd;   /* pidfd of that process, -1 when the kernel could not give one */
};

/* SIGINT/SIGTERM/SIGHUP: an async-signal-safe handler writes the signal number (one byte) to
 * `wfd`; a thread reading the other end does the real work. 0 or -errno. */
int cspawn_install_signal_pipe(int wfd);

/* Doctor: the calling thread's seccomp mode (prctl PR_GET_SECCOMP), -errno when unsupported. */
int cspawn_seccomp_mode(void);
/* Doctor: clones a child into new namespaces `flags` that exits at once. 0 or -errno. */
int cspawn_probe_namespaces(int flags);
/* 1 when `path` is on a tmpfs (statfs), 0 when not, -errno when it cannot be looked at. */
int cspawn_is_tmpfs(const char *path);

/* Returns 0, or -errno when the clone itself failed. */
int cspawn_start(const struct cspawn_config *cfg, struct cspawn_result *out);

/* ---- services: servers started inside a live run's namespaces ---- */
#define CSPAWN_MAX_NS 8
#define CSPAWN_MAX_CGROUPS 12

struct cspawn_service {
    const char *path;              /* executable (resolved by the parent) */
    char *const *argv;
    char *const *envp;
    const char *cwd;               /* inside the run's mount namespace */
    const int *ns_fds;             /* open /proc/<init>/ns/ files, in setns order (user first) */
    const int *ns_types;           /* the CLONE_NEW* flag of each */
    int nns;
    const int *cgroup_fds;         /* cgroup.procs files of the service's groups, opened O_WRONLY in the
                                      host's mount namespace (inside, /sys may be read-only) */
    int ncgroups;
    int stdout_fd, stderr_fd;
    const void *seccomp_filter;    /* NULL: none; never with a listener (denials are not counted) */
    unsigned short seccomp_len;
    int no_new_privs;
    int drop_caps;                 /* as in cspawn_config */
    uint64_t keep_caps;
    int exec_pipe;                 /* write end (CLOEXEC): CSPAWN_MSG_EXEC / ERROR, EOF = exec'd */
};

/* Starts a service: an intermediate child setns()es into the namespaces, then clones the service
 * with CLONE_PARENT (so the caller is its parent: it can wait4() it for the exit status), writes
 * its host PID back and exits. The service joins its cgroups, setsid, chdir, stdio, no_new_privs,
 * seccomp, execve. Returns 0 with *pid set, or -errno (a failed step is also on exec_pipe). */
int cspawn_service_start(const struct cspawn_service *svc, int *pid);

/* A socket (SOCK_NONBLOCK | SOCK_CLOEXEC) created inside the network namespace `netns_fd` by a
 * short-lived thread that setns()es there (sockets keep the namespace they were made in, so the
 * caller's threads stay where they are). netns_fd < 0: in the caller's namespace. fd or -errno. */
int cspawn_socket_in_netns(int netns_fd, int domain, int type);

/* A new network namespace with `lo` up, made on a short-lived thread of its own (the caller's
 * namespaces do not change): an O_CLOEXEC fd of it, or -errno. */
int cspawn_netns_make(void);

/* pidfd_open(2): a pollable fd that becomes readable when `pid` exits. fd or -errno. */
int cspawn_pidfd_open(int pid);

/* ---- parent side: seccomp filters (libseccomp), user notifications, fd passing ---- */
/* Actions, decoupled from libseccomp's macros (function-like macros do not reach Swift). */
#define CSPAWN_ACT_ALLOW 0
#define CSPAWN_ACT_ERRNO 1      /* with `data` = errno */
#define CSPAWN_ACT_KILL 2       /* kill the process (SIGSYS) */
#define CSPAWN_ACT_NOTIFY 3     /* user notification: the parent counts and answers */
#define CSPAWN_ACT_TRAP 4
#define CSPAWN_ACT_LOG 5
#define CSPAWN_ACT_KILL_THREAD 6

struct cspawn_sc_arg {
    unsigned int index;
    int op;               /* 1 NE, 2 LT, 3 LE, 4 EQ, 5 GE, 6 GT, 7 MASKED_EQ (libseccomp's scmp_compare) */
    uint64_t value;
    uint64_t value2;
};

/* Whether libseccomp.so.2 could be opened (at the first call; nothing loads it at start), and
 * why not (NULL when it could). Every cspawn_sc_* below opens it as needed. */
int cspawn_sc_available(void);
const char *cspawn_sc_load_error(void);
void *cspawn_sc_new(int action, int data);
/* 0, or -errno (-EDOM / -EINVAL for unknown names: the caller decides whether that matters). */
int cspawn_sc_rule(void *ctx, int action, int data, const char *name, unsigned int nargs,
                   const struct cspawn_sc_arg *args);
/* Asks for libseccomp's binary-tree layout (SCMP_FLTATR_CTL_OPTIMIZE 2, libseccomp >= 2.5) instead of
 * one comparison after another: the kernel's load time grows with the filter's longest path (it
 * runs the filter once per syscall number to build its action cache, with the task's signal lock
 * held), ~3.4 us an instruction here. 0, or -errno when this libseccomp cannot (the filter is
 * then the linear one: the same decisions). Call with rules added: libseccomp <= 2.5.3 ignores the
 * default action of a tree with no rules (seccomp/libseccomp#370). */
int cspawn_sc_tree(void *ctx);
/* Exports the BPF into a malloc'ed buffer (`*len` instructions). 0 or -errno. */
int cspawn_sc_export(void *ctx, void **filter, unsigned short *len);
void cspawn_sc_free(void *ctx);
int cspawn_sc_nr(const char *name);
/* malloc'ed name of a native syscall number, NULL if unknown. */
char *cspawn_sc_name(int nr);
/* 1 when the kernel and libseccomp support user notification. */
int cspawn_sc_notify_supported(void);

/* Receives one notification: 0 with *id and *nr set, or -errno (-ENOENT: the caller died). */
int cspawn_notify_receive(int fd, uint64_t *id, int *nr);
/* Answers it with -err (err > 0) or lets it proceed (err == 0 is not used). */
int cspawn_notify_respond(int fd, uint64_t id, int err);
/* Receives one fd sent with SCM_RIGHTS; -errno on failure. */
int cspawn_recv_fd(int sock);

/* snprintf(buf, cap, format, value) for a format with exactly one floating-point conversion
 * (CFormat.text in Swift). */
int cspawn_format_double(char *buf, size_t cap, const char *format, double value);

/* Monotonic clock in nanoseconds (the same clock the child stamps its messages with). */
int64_t cspawn_now_ns(void);
/* The executable's relocation table (`.rela.dyn`, 3 MB in the static release build) is read once
 * by the dynamic loader before main; its pages stay mapped and counted in cleanroom's RSS. Drops
 * them from this process (they are clean file pages: a later read would fault them back in).
 * Returns the bytes released (0: nothing page-sized to release) or -errno. */
long cspawn_release_relocations(void);
/* The whole pages of that table (both 0 when there is none). */
void cspawn_relocation_pages(uintptr_t *start, uintptr_t *end);
/* The executable's read-only segments (code, read-only data, the loader's tables) unmapped from
 * this process: never written, so every page of them is the file's, and the next use faults it
 * back from the page cache. Returns the bytes or -errno. */
long cspawn_release_text(void);
/* The whole pages from the first of them to the end of the last (both 0 when there are none). */
void cspawn_text_pages(uintptr_t *start, uintptr_t *end);

#endif

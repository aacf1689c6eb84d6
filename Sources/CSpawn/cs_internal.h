/*
 * Shared by the CSpawn files (not part of the Swift-visible API in include/cspawn.h).
 * Everything here runs between clone and execve: raw system calls only — no malloc, no stdio,
 * no locks — because the parent is multi-threaded (async-signal-safe code only after fork).
 */
#ifndef CS_INTERNAL_H
#define CS_INTERNAL_H
#define _GNU_SOURCE
#include "cspawn.h"
#include <signal.h>
#include <stddef.h>
#include <stdint.h>

/* util.c */
size_t cs_strlen(const char *s);
void cs_copy(char *dst, size_t cap, const char *src);
void cs_write_all(int fd, const void *buf, size_t len);
/* Writes a failed step to `pipe_fd` (a run's or a service's exec pipe) and exits 127. */
void cs_fail_on(int pipe_fd, const char *step, const char *detail, int err) __attribute__((noreturn));
/* Reports a failed step of the run to the parent and exits. */
void cs_fail(const struct cspawn_config *c, const char *step, const char *detail, int err) __attribute__((noreturn));
/* Diagnostics (cfg.trace): a timestamped "reached `step`" record on the exec pipe. */
void cs_mark(const struct cspawn_config *c, const char *step);
/* 0 or -errno. */
int cs_write_file(const char *path, const char *text);
int cs_write_fd(int fd, const char *text);
/* Every handler back to SIG_DFL and an empty signal mask: what the child inherited from a
 * thread of the parent must not reach the workload. 0 or -errno. */
int cs_reset_signals(void);
int cs_mkdir_p(const char *path);
/* Closes every fd >= 3 except those in keep[] (sorted ascending); close_range, or a close()
 * loop up to RLIMIT_NOFILE where the kernel lacks it. 0 or -errno. */
int cs_close_from_3(const int *keep, int nkeep);
int cs_send_fd(int sock, int fd);
void cs_sort(int *a, int n);
/* "/proc/self/fd/N" into buf (at least 32 bytes). */
void cs_fd_path(char *buf, int fd);

/* stdin from /dev/null, stdout/stderr onto `out`/`err` (when >= 0); a failure goes to `pipe_fd`. */
void cs_stdio_on(int pipe_fd, int out, int err);
/* Stamps CSPAWN_MSG_EXEC on `pipe_fd`, then execve; a failed execve is reported there. */
void cs_stamp_and_exec(int pipe_fd, const char *path, char *const *argv, char *const *envp) __attribute__((noreturn));

/* Cuts capabilities to `keep` (CAP_* bits) in `sets`: CS_CAPS_EXEC, what an execve would grant
 * (bounding, ambient, inheritable); CS_CAPS_OWN, the caller's own (effective, permitted).
 * 0 or -errno. */
#define CS_CAPS_EXEC 1
#define CS_CAPS_OWN 2
int cs_cut_capabilities(uint64_t keep, int sets);

/* mounts.c: mount namespace set-up for the run's filesystem mode. */
void cs_setup_mounts(const struct cspawn_config *c);
/* protect.c: read-only /sys with the run's cgroups at /sys/fs/cgroup (before the run's /proc is
 * mounted: binds go through the host's /proc/self/fd), then Docker's /proc paths (after). */
void cs_protect_sys(const struct cspawn_config *c);
void cs_protect_proc(const struct cspawn_config *c);
/* mount_setattr(MOUNT_ATTR_RDONLY) on `path`, recursively or not: set or cleared. */
void cs_set_readonly_at(const struct cspawn_config *c, const char *path, int readonly, int recursive);

/* net.c */
void cs_loopback_up(const struct cspawn_config *c);

/* init.c */
int cs_child(const struct cspawn_config *c);
#endif

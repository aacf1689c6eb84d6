/* The run's mount namespace: private propagation, the filesystem mode (host / private-tmp /
 * readonly), cwd kept reachable, a fresh /proc for the PID namespace (protect.c makes /sys and
 * parts of /proc read-only in every mode). Child side only. */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

struct cs_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

void cs_set_readonly_at(const struct cspawn_config *c, const char *path, int readonly, int recursive) {
    struct cs_mount_attr a = { readonly ? MOUNT_ATTR_RDONLY : 0, readonly ? 0 : MOUNT_ATTR_RDONLY, 0, 0 };
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, recursive ? AT_RECURSIVE : 0, &a, sizeof a) < 0)
        cs_fail(c, readonly ? "mount_setattr ro" : "mount_setattr rw", path, errno);
}

static void cs_set_readonly(const struct cspawn_config *c, const char *path, int readonly) {
    cs_set_readonly_at(c, path, readonly, 1);
}

/* The metrics file at its own path, writable: bound from the host's file over whatever the
 * filesystem mode put there (a private /tmp or /dev/shm hides it: its directory and an empty file are made
 * there first; a read-only root: the bind's read-only flag is cleared). Uses the host's /proc
 * (called before the run's own is mounted). */
static void cs_bind_metrics(const struct cspawn_config *c, int fd) {
    const char *path = c->metrics_path;
    if (access(path, F_OK) < 0) {
        char dir[4096];
        size_t n = cs_strlen(path);
        if (n >= sizeof dir) cs_fail(c, "metrics file", path, ENAMETOOLONG);
        cs_copy(dir, sizeof dir, path);
        while (n > 1 && dir[n - 1] != '/') n--;
        dir[n > 1 ? n - 1 : 1] = 0;
        int r = cs_mkdir_p(dir);
        if (r < 0) cs_fail(c, "mkdir metrics dir", dir, -r);
        int f = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (f < 0) cs_fail(c, "create metrics mount point", path, errno);
        close(f);
    }
    char src[32];
    cs_fd_path(src, fd);
    if (mount(src, path, NULL, MS_BIND, NULL) < 0) cs_fail(c, "bind metrics file", path, errno);
    if (c->fs_mode == CSPAWN_FS_READONLY) {
        struct cs_mount_attr rw = { 0, MOUNT_ATTR_RDONLY, 0, 0 };
        if (syscall(SYS_mount_setattr, AT_FDCWD, path, 0, &rw, sizeof rw) < 0)
            cs_fail(c, "mount_setattr rw", path, errno);
    }
    close(fd);
}

void cs_setup_mounts(const struct cspawn_config *c) {
    if (!(c->namespaces & CLONE_NEWNS)) return;
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cs_fail(c, "mount --make-rprivate", "/", errno);

    int cwd_fd = -1, metrics_fd = -1;
    if (c->fs_mode != CSPAWN_FS_HOST && c->cwd_hidden) {
        cwd_fd = open(c->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd_fd < 0) cs_fail(c, "open cwd", c->cwd, errno);
    }
    /* The metrics file as the host sees it, before a private /tmp or /dev/shm or a read-only root hides it.
     * By path (a bind's source must be a mount of this namespace, which the parent's descriptor
     * is not), but it must be the very file the parent made: the tree may be another run's cwd,
     * and a link planted on the way would bind a host file into this run, writable. */
    if (c->fs_mode != CSPAWN_FS_HOST && c->metrics_path) {
        metrics_fd = open(c->metrics_path, O_PATH | O_CLOEXEC);
        if (metrics_fd < 0) cs_fail(c, "open metrics file", c->metrics_path, errno);
        struct stat made, found;
        if (c->metrics_fd >= 3 && (fstat(c->metrics_fd, &made) < 0 || fstat(metrics_fd, &found) < 0
                                   || made.st_dev != found.st_dev || made.st_ino != found.st_ino))
            cs_fail(c, "check metrics file", c->metrics_path, ELOOP);   /* not the file made for the run */
    }
    if (c->metrics_path && c->metrics_fd >= 3) close(c->metrics_fd);
    if (c->fs_mode == CSPAWN_FS_READONLY) {
        cs_set_readonly(c, "/", 1);
        if (!c->cwd_hidden) {
            /* cwd stays writable: a bind of itself, with read-only cleared on the copy. */
            if (mount(c->cwd, c->cwd, NULL, MS_BIND | MS_REC, NULL) < 0) cs_fail(c, "bind cwd", c->cwd, errno);
            cs_set_readonly(c, c->cwd, 0);
        }
    }
    if (c->fs_mode != CSPAWN_FS_HOST) {
        /* Shared memory is scratch space like /tmp (python multiprocessing needs it), and the
         * host's is the other world-writable place a run could leave files in that outlive it
         * (charged to nobody once its cgroup is gone) or read other users' in: one of its own,
         * as Docker and bwrap give. SpawnPlan.privateMountPoints lists both for cwd_hidden. */
        if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 && errno != ENOENT)
            cs_fail(c, "mount tmpfs", "/dev/shm", errno);
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
            cs_fail(c, "mount tmpfs", "/tmp", errno);
        if (cwd_fd >= 0) {
            char src[32];
            cs_fd_path(src, cwd_fd);
            int r = cs_mkdir_p(c->cwd);
            if (r < 0) cs_fail(c, "mkdir cwd in a private tmpfs", c->cwd, -r);
            if (mount(src, c->cwd, NULL, MS_BIND | MS_REC, NULL) < 0) cs_fail(c, "bind cwd", c->cwd, errno);
            if (c->fs_mode == CSPAWN_FS_READONLY) cs_set_readonly(c, c->cwd, 0);
            close(cwd_fd);
        }
    }
    if (metrics_fd >= 0) cs_bind_metrics(c, metrics_fd);
    cs_protect_sys(c);
    if (c->mount_proc && (c->namespaces & CLONE_NEWPID)) {
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            cs_fail(c, "mount proc", "/proc", errno);
        cs_protect_proc(c);
    }
}

/* The run's mount namespace: private propagation, the filesystem mode (host / private-tmp /
 * readonly), cwd kept reachable, a fresh /proc for the PID namespace. Child side only. */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif

struct cs_mount_attr { uint64_t attr_set, attr_clr, propagation, userns_fd; };

static void cs_set_readonly(const struct cspawn_config *c, const char *path, int readonly) {
    struct cs_mount_attr a = { readonly ? MOUNT_ATTR_RDONLY : 0, readonly ? 0 : MOUNT_ATTR_RDONLY, 0, 0 };
    if (syscall(SYS_mount_setattr, AT_FDCWD, path, AT_RECURSIVE, &a, sizeof a) < 0)
        cs_fail(c, readonly ? "mount_setattr ro" : "mount_setattr rw", path, errno);
}

void cs_setup_mounts(const struct cspawn_config *c) {
    if (!(c->namespaces & CLONE_NEWNS)) return;
    /* Nothing we mount may propagate back to the host. */
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) cs_fail(c, "mount --make-rprivate", "/", errno);

    int cwd_fd = -1;
    if (c->fs_mode != CSPAWN_FS_HOST && c->cwd_in_tmp) {
        cwd_fd = open(c->cwd, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (cwd_fd < 0) cs_fail(c, "open cwd", c->cwd, errno);
    }
    if (c->fs_mode == CSPAWN_FS_READONLY) {
        cs_set_readonly(c, "/", 1);
        if (!c->cwd_in_tmp) {
            /* cwd stays writable: a bind of itself, with read-only cleared on the copy. */
            if (mount(c->cwd, c->cwd, NULL, MS_BIND | MS_REC, NULL) < 0) cs_fail(c, "bind cwd", c->cwd, errno);
            cs_set_readonly(c, c->cwd, 0);
        }
        /* Shared memory is scratch space like /tmp (python multiprocessing needs it). */
        if (mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0 && errno != ENOENT)
            cs_fail(c, "mount tmpfs", "/dev/shm", errno);
    }
    if (c->fs_mode != CSPAWN_FS_HOST) {
        if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0)
            cs_fail(c, "mount tmpfs", "/tmp", errno);
        if (cwd_fd >= 0) {
            char src[32];
            cs_fd_path(src, cwd_fd);
            int r = cs_mkdir_p(c->cwd);
            if (r < 0) cs_fail(c, "mkdir cwd in /tmp", c->cwd, -r);
            if (mount(src, c->cwd, NULL, MS_BIND | MS_REC, NULL) < 0) cs_fail(c, "bind cwd", c->cwd, errno);
            if (c->fs_mode == CSPAWN_FS_READONLY) cs_set_readonly(c, c->cwd, 0);
            close(cwd_fd);
        }
    }
    if (c->mount_proc && (c->namespaces & CLONE_NEWPID)) {
        if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            cs_fail(c, "mount proc", "/proc", errno);
    }
}

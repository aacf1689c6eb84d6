/* What the workload may not touch, in every filesystem mode (docs/sandbox.md "What the workload
 * sees"): /sys read-only with only the run's own cgroups at /sys/fs/cgroup, and Docker's read-only
 * and masked /proc paths. Capabilities are dropped later (no CAP_SYS_ADMIN), so the workload can
 * neither unmount these nor mount a writable cgroupfs, sysfs or procfs of its own: the mounts made
 * here are the only views of the kernel's tunables and of other cgroups it has. Child side only. */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CS_CGROUP_ROOT "/sys/fs/cgroup"

static int cs_streq(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#define CS_OPEN_TREE_CLONE 1
#define CS_OPEN_TREE_CLOEXEC 02000000
#define CS_MOVE_MOUNT_F_EMPTY_PATH 0x00000004

/* The run's group at `dst`: a detached copy of its subtree (open_tree) attached there, or, on
 * kernels before 5.2, a bind through the O_PATH descriptor kept in `fd`; read-only at once with
 * `readonly`, else by the caller's recursive mount_setattr over all the views. */
static void cs_attach_view(const struct cspawn_config *c, int tree, int fd, const char *dst, int readonly) {
    if (tree >= 0) {
        if (syscall(SYS_move_mount, tree, "", AT_FDCWD, dst, CS_MOVE_MOUNT_F_EMPTY_PATH) < 0)
            cs_fail(c, "move_mount cgroup view", dst, errno);
    } else {
        char src[32];
        cs_fd_path(src, fd);
        if (mount(src, dst, NULL, MS_BIND, NULL) < 0) cs_fail(c, "bind cgroup view", dst, errno);
    }
    if (readonly) cs_set_readonly_at(c, dst, 1, 0);
}

void cs_protect_sys(const struct cspawn_config *c) {
    if (!c->protect_sys) return;
    /* The run's groups as the host names them, taken before anything hides them. */
    int fds[CSPAWN_MAX_CGROUPS], trees[CSPAWN_MAX_CGROUPS];
    int n = 0;
    for (; c->cgroup_views && c->cgroup_views[2 * n] && n < CSPAWN_MAX_CGROUPS; n++) {
        const char *src = c->cgroup_views[2 * n];
        trees[n] = (int)syscall(SYS_open_tree, AT_FDCWD, src, CS_OPEN_TREE_CLONE | CS_OPEN_TREE_CLOEXEC);
        if (trees[n] < 0 && errno != ENOSYS) cs_fail(c, "open_tree cgroup view", src, errno);
        /* The bind's source only where there is no open_tree (seven opens less a run otherwise). */
        fds[n] = -1;
        if (trees[n] < 0 && (fds[n] = open(src, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
            cs_fail(c, "open cgroup view", src, errno);
    }
    /* Our copies of the host's /sys mounts (the cgroup hierarchies included) become read-only. */
    cs_set_readonly_at(c, "/sys", 1, 1);
    struct stat st;
    if (stat(CS_CGROUP_ROOT, &st) == 0 && S_ISDIR(st.st_mode)) {
        /* The host's hierarchies leave the run's mount table (runtimes that read mountinfo must
         * find only the run's groups). Where they cannot (mounts locked in a user namespace, or no
         * open_tree to take the views from) they stay, read-only, covered by what follows. */
        if (n == 0 || trees[0] >= 0) (void)umount2(CS_CGROUP_ROOT, MNT_DETACH);
        /* Pure cgroup v2: the run's group is the whole of /sys/fs/cgroup. Otherwise a tmpfs with
         * one directory per hierarchy the run is in. */
        if (n == 1 && cs_streq(c->cgroup_views[1], CS_CGROUP_ROOT)) {
            cs_attach_view(c, trees[0], fds[0], CS_CGROUP_ROOT, 1);
        } else {
            if (mount("tmpfs", CS_CGROUP_ROOT, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755,size=64k") < 0)
                cs_fail(c, "mount tmpfs", CS_CGROUP_ROOT, errno);
            for (int i = 0; i < n; i++) {
                int r = cs_mkdir_p(c->cgroup_views[2 * i + 1]);
                if (r < 0) cs_fail(c, "mkdir cgroup view", c->cgroup_views[2 * i + 1], -r);
                cs_attach_view(c, trees[i], fds[i], c->cgroup_views[2 * i + 1], 0);
            }
            /* The tmpfs and every view under it in one call: one mount_setattr per view was 7
             * more of the run's set-up on a hybrid host. Nothing runs in the namespace yet. */
            cs_set_readonly_at(c, CS_CGROUP_ROOT, 1, 1);
        }
    }
    for (int i = 0; i < n; i++) {
        if (fds[i] >= 0) close(fds[i]);
        if (trees[i] >= 0) close(trees[i]);
    }
    /* Docker masks the firmware tables too (ACPI, EFI variables). */
    if (stat("/sys/firmware", &st) == 0 && S_ISDIR(st.st_mode)
        && mount("tmpfs", "/sys/firmware", "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0)
        cs_fail(c, "mask", "/sys/firmware", errno);
}

/* Docker's defaults (moby oci/defaults.go): kernel tunables and triggers read-only; files that
 * show kernel memory, keys or timers of other processes masked. */
static const char *const cs_proc_readonly[] = {
    "/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs", 0,
};
static const char *const cs_proc_masked[] = {
    "/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug", "/proc/latency_stats",
    "/proc/timer_stats", "/proc/acpi", "/proc/scsi", "/proc/asound", 0,
};
/* How many of cs_proc_masked are files; the rest are directories (in every kernel we know). */
#define CS_PROC_MASKED_FILES 6

/* An empty read-only directory over a directory, /dev/null over a file. */
static int cs_mask_as(const char *p, int dir) {
    int r = dir ? mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
                : mount("/dev/null", p, NULL, MS_BIND, NULL);
    return r < 0 ? -errno : 0;
}

void cs_protect_proc(const struct cspawn_config *c) {
    if (!c->protect_proc) return;
    for (int i = 0; cs_proc_readonly[i]; i++) {
        const char *p = cs_proc_readonly[i];
        if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0) {
            if (errno == ENOENT) continue;   /* not in this kernel's procfs */
            cs_fail(c, "bind /proc path", p, errno);
        }
        /* A remount keeps procfs's nosuid/nodev/noexec (a user namespace may not clear them). */
        if (mount(NULL, p, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
            cs_fail(c, "remount read-only", p, errno);
    }
    /* Masked as the kind each path is known to be, without a stat first (nine calls a run, most
     * answering ENOENT: a path this kernel's procfs does not have is skipped by the mount's own
     * ENOENT). A kernel where one is of the other kind (ENOTDIR from the mount) gets the other. */
    for (int i = 0; cs_proc_masked[i]; i++) {
        const char *p = cs_proc_masked[i];
        int dir = i >= CS_PROC_MASKED_FILES;
        int r = cs_mask_as(p, dir);
        if (r == -ENOTDIR) r = cs_mask_as(p, !dir);
        if (r == -ENOENT) continue;
        if (r < 0) cs_fail(c, "mask", p, -r);
    }
}

/*
 * Parent-side seccomp helpers: the filter is compiled once with libseccomp and exported as BPF,
 * so the child only has to hand the ready program to the kernel (no allocation after fork).
 * Denied calls use SECCOMP_RET_USER_NOTIF: the parent receives each one, counts it by name and
 * answers with the errno the policy asks for.
 *
 * libseccomp is opened at its first use (a host probe or a filter), not by the loader at start:
 * `--version`, `check`, `report`, `compare` and the others never sandbox anything and need not
 * load it. It stays a shared library (LGPL-2.1); seccomp.h gives the types and constants only.
 */
#define _GNU_SOURCE
#include "cspawn.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>

static struct {
    __typeof__(seccomp_init) *init;
    __typeof__(seccomp_attr_set) *attr_set;
    __typeof__(seccomp_syscall_resolve_name) *resolve_name;
    __typeof__(seccomp_syscall_resolve_num_arch) *resolve_num_arch;
    __typeof__(seccomp_rule_add_array) *rule_add_array;
    __typeof__(seccomp_export_bpf) *export_bpf;
    __typeof__(seccomp_release) *release;
    __typeof__(seccomp_api_get) *api_get;
    __typeof__(seccomp_notify_alloc) *notify_alloc;
    __typeof__(seccomp_notify_receive) *notify_receive;
    __typeof__(seccomp_notify_respond) *notify_respond;
    __typeof__(seccomp_notify_free) *notify_free;
} lib;
static int lib_loaded;
static char lib_error[256];
static pthread_once_t lib_once = PTHREAD_ONCE_INIT;

static void lib_open(void) {
    void *h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(lib_error, sizeof lib_error, "%s", e ? e : "libseccomp.so.2: cannot be loaded");
        return;
    }
#define CS_SYM(field, name)                                                                   \
    if (!(*(void **)&lib.field = dlsym(h, name))) {                                           \
        snprintf(lib_error, sizeof lib_error, "libseccomp.so.2 has no %s (too old?)", name); \
        return;                                                                               \
    }
    CS_SYM(init, "seccomp_init")
    CS_SYM(attr_set, "seccomp_attr_set")
    CS_SYM(resolve_name, "seccomp_syscall_resolve_name")
    CS_SYM(resolve_num_arch, "seccomp_syscall_resolve_num_arch")
    CS_SYM(rule_add_array, "seccomp_rule_add_array")
    CS_SYM(export_bpf, "seccomp_export_bpf")
    CS_SYM(release, "seccomp_release")
    CS_SYM(api_get, "seccomp_api_get")
    CS_SYM(notify_alloc, "seccomp_notify_alloc")
    CS_SYM(notify_receive, "seccomp_notify_receive")
    CS_SYM(notify_respond, "seccomp_notify_respond")
    CS_SYM(notify_free, "seccomp_notify_free")
#undef CS_SYM
    lib_loaded = 1;
}

int cspawn_sc_available(void) {
    pthread_once(&lib_once, lib_open);
    return lib_loaded;
}

const char *cspawn_sc_load_error(void) {
    return cspawn_sc_available() ? NULL : lib_error;
}

static uint32_t cs_action(int action, int data) {
    switch (action) {
    case CSPAWN_ACT_ALLOW: return SCMP_ACT_ALLOW;
    case CSPAWN_ACT_ERRNO: return SCMP_ACT_ERRNO((uint32_t)data);
    case CSPAWN_ACT_KILL: return SCMP_ACT_KILL_PROCESS;
    case CSPAWN_ACT_KILL_THREAD: return SCMP_ACT_KILL_THREAD;
    case CSPAWN_ACT_NOTIFY: return SCMP_ACT_NOTIFY;
    case CSPAWN_ACT_TRAP: return SCMP_ACT_TRAP;
    case CSPAWN_ACT_LOG: return SCMP_ACT_LOG;
    default: return SCMP_ACT_KILL_PROCESS;
    }
}

void *cspawn_sc_new(int action, int data) {
    if (!cspawn_sc_available()) return NULL;
    scmp_filter_ctx ctx = lib.init(cs_action(action, data));
    if (!ctx) return NULL;
    /* The child sets no_new_privs itself (and must, before loading): keep libseccomp out of it. */
    lib.attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    /* 32-bit x86 syscalls on x86-64 would bypass a native-only filter: kill them. */
    lib.attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    return ctx;
}

int cspawn_sc_rule(void *ctx, int action, int data, const char *name, unsigned int nargs,
                   const struct cspawn_sc_arg *args) {
    int nr = lib.resolve_name(name);   /* a ctx exists: the library is loaded */
    if (nr == __NR_SCMP_ERROR) return -EDOM;
    struct scmp_arg_cmp cmp[6];
    if (nargs > 6) return -E2BIG;
    for (unsigned int i = 0; i < nargs; i++) {
        cmp[i].arg = args[i].index;
        cmp[i].op = (enum scmp_compare)args[i].op;
        cmp[i].datum_a = args[i].value;
        cmp[i].datum_b = args[i].value2;
    }
    return lib.rule_add_array(ctx, cs_action(action, data), nr, nargs, nargs ? cmp : NULL);
}

int cspawn_sc_export(void *ctx, void **filter, unsigned short *len) {
    /* libseccomp 2.5 exports to an fd only: go through a memfd. */
    int fd = (int)syscall(SYS_memfd_create, "cleanroom-bpf", 1U /* MFD_CLOEXEC */);
    if (fd < 0) return -errno;
    int r = lib.export_bpf(ctx, fd);
    if (r < 0) { close(fd); return r; }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) != 0 || size / sizeof(struct sock_filter) > 0xffff) {
        close(fd);
        return -EINVAL;
    }
    void *buf = malloc((size_t)size);
    if (!buf) { close(fd); return -ENOMEM; }
    if (pread(fd, buf, (size_t)size, 0) != size) { free(buf); close(fd); return -EIO; }
    close(fd);
    *filter = buf;
    *len = (unsigned short)(size / sizeof(struct sock_filter));
    return 0;
}

int cspawn_sc_tree(void *ctx) { return lib.attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2); }

void cspawn_sc_free(void *ctx) { lib.release(ctx); }

int cspawn_sc_nr(const char *name) { return cspawn_sc_available() ? lib.resolve_name(name) : __NR_SCMP_ERROR; }

char *cspawn_sc_name(int nr) { return cspawn_sc_available() ? lib.resolve_num_arch(SCMP_ARCH_NATIVE, nr) : NULL; }

int cspawn_sc_notify_supported(void) { return cspawn_sc_available() && lib.api_get() >= 5; }

int cspawn_notify_receive(int fd, uint64_t *id, int *nr) {
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    if (!cspawn_sc_available()) return -ENOSYS;
    int r = lib.notify_alloc(&req, &resp);
    if (r < 0) return r;
    r = lib.notify_receive(fd, req);
    if (r == 0) { *id = req->id; *nr = req->data.nr; }
    lib.notify_free(req, resp);
    return r;
}

int cspawn_notify_respond(int fd, uint64_t id, int err) {
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    if (!cspawn_sc_available()) return -ENOSYS;
    int r = lib.notify_alloc(&req, &resp);
    if (r < 0) return r;
    resp->id = id;
    resp->val = 0;
    resp->error = -err;
    resp->flags = 0;
    r = lib.notify_respond(fd, resp);
    lib.notify_free(req, resp);
    return r;
}

int cspawn_recv_fd(int sock) {
    char dummy;
    struct iovec iov = { &dummy, 1 };
    union { struct cmsghdr h; char buf[CMSG_SPACE(sizeof(int))]; } u;
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = &iov; msg.msg_iovlen = 1;
    msg.msg_control = u.buf; msg.msg_controllen = sizeof u.buf;
    ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
    if (n < 0) return -errno;
    if (n == 0) return -EPIPE;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
    if (!cm || cm->cmsg_type != SCM_RIGHTS) return -EBADMSG;
    int fd;
    memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
}

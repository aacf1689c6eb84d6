/*
 * Parent-side seccomp helpers: the filter is compiled once with libseccomp and exported as BPF,
 * so the child only has to hand the ready program to the kernel (no allocation after fork).
 * Denied calls use SECCOMP_RET_USER_NOTIF: the parent receives each one, counts it by name and
 * answers with the errno the policy asks for.
 */
#define _GNU_SOURCE
#include "cspawn.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/filter.h>

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
    scmp_filter_ctx ctx = seccomp_init(cs_action(action, data));
    if (!ctx) return NULL;
    /* The child sets no_new_privs itself (and must, before loading): keep libseccomp out of it. */
    seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    /* 32-bit x86 syscalls on x86-64 would bypass a native-only filter: kill them. */
    seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    return ctx;
}

int cspawn_sc_rule(void *ctx, int action, int data, const char *name, unsigned int nargs,
                   const struct cspawn_sc_arg *args) {
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) return -EDOM;
    struct scmp_arg_cmp cmp[6];
    if (nargs > 6) return -E2BIG;
    for (unsigned int i = 0; i < nargs; i++) {
        cmp[i].arg = args[i].index;
        cmp[i].op = (enum scmp_compare)args[i].op;
        cmp[i].datum_a = args[i].value;
        cmp[i].datum_b = args[i].value2;
    }
    return seccomp_rule_add_array(ctx, cs_action(action, data), nr, nargs, nargs ? cmp : NULL);
}

int cspawn_sc_export(void *ctx, void **filter, unsigned short *len) {
    /* libseccomp 2.5 exports to an fd only: go through a memfd. */
    int fd = (int)syscall(SYS_memfd_create, "cleanroom-bpf", 1U /* MFD_CLOEXEC */);
    if (fd < 0) return -errno;
    int r = seccomp_export_bpf(ctx, fd);
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

void cspawn_sc_free(void *ctx) { seccomp_release(ctx); }

int cspawn_sc_nr(const char *name) { return seccomp_syscall_resolve_name(name); }

char *cspawn_sc_name(int nr) { return seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr); }

int cspawn_sc_notify_supported(void) { return seccomp_api_get() >= 5; }

int cspawn_notify_receive(int fd, uint64_t *id, int *nr) {
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    int r = seccomp_notify_alloc(&req, &resp);
    if (r < 0) return r;
    r = seccomp_notify_receive(fd, req);
    if (r == 0) { *id = req->id; *nr = req->data.nr; }
    seccomp_notify_free(req, resp);
    return r;
}

int cspawn_notify_respond(int fd, uint64_t id, int err) {
    struct seccomp_notif *req = NULL;
    struct seccomp_notif_resp *resp = NULL;
    int r = seccomp_notify_alloc(&req, &resp);
    if (r < 0) return r;
    resp->id = id;
    resp->val = 0;
    resp->error = -err;
    resp->flags = 0;
    r = seccomp_notify_respond(fd, resp);
    seccomp_notify_free(req, resp);
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

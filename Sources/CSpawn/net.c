/* Networking: `lo` up in the run's own network namespace (child side), that namespace made
 * ahead of the clone (parent side), and sockets made inside a run's namespace for the parent's
 * readiness checks. */
#include "cs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0, or -errno with the failed step in `*step`. */
static int cs_lo_up(const char **step) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) { *step = "socket"; return -errno; }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    cs_copy(ifr.ifr_name, IFNAMSIZ, "lo");
    int r = 0;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) { *step = "SIOCGIFFLAGS"; r = -errno; }
    else {
        ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
        if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) { *step = "SIOCSIFFLAGS"; r = -errno; }
    }
    close(s);
    return r;
}

void cs_loopback_up(const struct cspawn_config *c) {
    const char *step = "";
    int r = cs_lo_up(&step);
    if (r < 0) cs_fail(c, step, "lo", -r);
}

/* The thread unshares its own network namespace only: it ends right after, and nothing else of
 * the process moves. */
static void *cs_netns_thread(void *arg) {
    int *fd = arg;
    const char *step = "";
    if (unshare(CLONE_NEWNET) < 0) { *fd = -errno; return NULL; }
    int r = cs_lo_up(&step);
    if (r < 0) { *fd = r; return NULL; }
    int ns = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (ns < 0) { *fd = -errno; return NULL; }
    /* Above stdio even when cleanroom was started with 0-2 closed: the child takes fds < 3 as
     * "none" (cspawn_config.netns_fd). */
    if (ns < 3) {
        int high = fcntl(ns, F_DUPFD_CLOEXEC, 3);
        int e = errno;
        close(ns);
        ns = high < 0 ? -e : high;
    }
    *fd = ns;
    return NULL;
}

int cspawn_netns_make(void) {
    int fd = -EINVAL;
    pthread_t t;
    int e = pthread_create(&t, NULL, cs_netns_thread, &fd);
    if (e != 0) return -e;
    e = pthread_join(t, NULL);
    if (e != 0) return -e;
    return fd;
}

struct cs_sock_req { int nsfd, domain, type, fd; };

static void *cs_sock_thread(void *arg) {
    struct cs_sock_req *r = arg;
    if (syscall(SYS_setns, r->nsfd, CLONE_NEWNET) < 0) { r->fd = -errno; return NULL; }
    int fd = socket(r->domain, r->type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    r->fd = fd < 0 ? -errno : fd;
    return NULL;
}

int cspawn_socket_in_netns(int netns_fd, int domain, int type) {
    if (netns_fd < 0) {
        int fd = socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        return fd < 0 ? -errno : fd;
    }
    struct cs_sock_req r = { netns_fd, domain, type, -EINVAL };
    pthread_t t;
    int e = pthread_create(&t, NULL, cs_sock_thread, &r);
    if (e != 0) return -e;
    e = pthread_join(t, NULL);
    if (e != 0) return -e;
    return r.fd;
}

/* Networking: `lo` up in the run's own network namespace (child side), and sockets made inside
 * a run's namespace for the parent's readiness checks. */
#include "cs_internal.h"

#include <errno.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

void cs_loopback_up(const struct cspawn_config *c) {
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0) cs_fail(c, "socket", "lo", errno);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    cs_copy(ifr.ifr_name, IFNAMSIZ, "lo");
    if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) cs_fail(c, "SIOCGIFFLAGS", "lo", errno);
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) cs_fail(c, "SIOCSIFFLAGS", "lo", errno);
    close(s);
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

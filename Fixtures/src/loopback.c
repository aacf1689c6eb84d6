/* Ground truth for net bytes: send N bytes to itself over 127.0.0.1 TCP (a thread sends, main
   receives), then exit. DELAY_MS: wait that long first (lets a test harness that unshares the
   namespace after spawn see the process in it before any traffic). usage: loopback N [DELAY_MS] */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static long long total;
static struct sockaddr_in addr;

static void *sender(void *arg) {
    (void)arg;
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) != 0) { perror("connect"); exit(1); }
    static char buf[65536];
    memset(buf, 'x', sizeof buf);
    long long left = total;
    while (left > 0) {
        ssize_t n = send(s, buf, left < (long long)sizeof buf ? (size_t)left : sizeof buf, 0);
        if (n <= 0) { perror("send"); exit(1); }
        left -= n;
    }
    close(s);
    return NULL;
}

int main(int argc, char **argv) {
    total = argc > 1 ? atoll(argv[1]) : 10000000;
    long delay = argc > 2 ? atol(argv[2]) : 0;
    if (delay > 0) usleep((useconds_t)delay * 1000);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    if (bind(l, (struct sockaddr *)&addr, sizeof addr) != 0 || listen(l, 1) != 0) { perror("bind"); return 1; }
    socklen_t len = sizeof addr;
    getsockname(l, (struct sockaddr *)&addr, &len);
    pthread_t t;
    pthread_create(&t, NULL, sender, NULL);
    int c = accept(l, NULL, NULL);
    static char buf[65536];
    long long got = 0;
    ssize_t n;
    while ((n = recv(c, buf, sizeof buf, 0)) > 0) got += n;
    pthread_join(t, NULL);
    printf("received=%lld\n", got);
    return got == total ? 0 : 1;
}

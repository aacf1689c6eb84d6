/* The classic daemon: fork, setsid, fork again, the grandchild sleeps "forever" with no parent
 * and no terminal; the original process exits 0 at once. argv[1] is a marker the test looks for
 * in /proc afterwards (the daemon keeps its argv). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc, char **argv) {
    (void)argc; (void)argv;
    pid_t p = fork();
    if (p < 0) return 2;
    if (p == 0) {
        setsid();
        if (fork() == 0) {
            close(0); close(1); close(2);
            sleep(1000);
            _exit(0);
        }
        _exit(0);
    }
    usleep(50000);   /* let the daemon get going before we leave */
    printf("daemon started\n");
    return 0;
}

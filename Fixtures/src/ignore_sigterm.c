/* Ignores SIGTERM and sleeps in a loop: only SIGKILL ends it. */
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
int main(void) {
    signal(SIGTERM, SIG_IGN);
    printf("ignoring SIGTERM\n");
    fflush(stdout);
    for (;;) sleep(1);
}

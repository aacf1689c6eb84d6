/* The main process exits at once, leaving a grandchild that holds stdout open and sleeps:
 * a run that waits for EOF on stdout would hang. */
#include <stdio.h>
#include <unistd.h>
int main(void) {
    printf("parent\n");
    fflush(stdout);
    if (fork() == 0) {
        if (fork() == 0) {
            sleep(1000);       /* still holds fd 1 */
            _exit(0);
        }
        _exit(0);
    }
    usleep(20000);
    return 0;
}

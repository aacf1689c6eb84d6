/* Forks as fast as it can, forever, and every child does the same. Under a pids limit fork fails
 * with EAGAIN and the processes keep retrying: only the sandbox's timeout can end it. */
#include <unistd.h>
int main(void) {
    for (;;) fork();
}

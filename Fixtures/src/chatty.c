/* Writes argv[1] numbered lines to stdout ("line 000001\n", 12 bytes each) and "done" to stderr. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    long n = argc > 1 ? atol(argv[1]) : 1000;
    for (long i = 1; i <= n; i++) printf("line %06ld\n", i);
    fprintf(stderr, "done\n");
    return 0;
}

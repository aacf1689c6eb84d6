/* Allocates argv[1] MiB and writes to every page, so all of it is resident; prints progress. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 64;
    size_t size = (size_t)mib << 20;
    char *p = malloc(size);
    if (!p) { perror("malloc"); return 2; }
    for (size_t i = 0; i < size; i += 4096) p[i] = 1;
    printf("touched %ld MiB\n", mib);
    return 0;
}

/* Ground truth for disk_write_bytes: write N MiB to PATH in 1 MiB chunks, fsync, unlink.
   usage: write_fsync PATH N */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: write_fsync PATH N\n"); return 2; }
    long mib = atol(argv[2]);
    int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { perror("open"); return 1; }
    static char buf[1 << 20];
    for (size_t i = 0; i < sizeof buf; i++) buf[i] = (char)(i * 7 + 1);   /* not zeros: no shortcuts */
    for (long i = 0; i < mib; i++) {
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) { perror("write"); return 1; }
    }
    if (fsync(fd) != 0) { perror("fsync"); return 1; }
    close(fd);
    unlink(argv[1]);
    return 0;
}

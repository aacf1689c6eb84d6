/* Ground truth for rss_peak / anon_peak / memory_peak: map FILE (already in the page cache,
   charged to whoever read it first) and read every page, touch ANON_MIB MiB of anonymous memory,
   then create READY and hold until GO exists (the test reads the kernel's own figures meanwhile).
   usage: map_file_anon FILE ANON_MIB READY GO */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 5) { fprintf(stderr, "usage: map_file_anon FILE ANON_MIB READY GO\n"); return 2; }
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0) { perror("open"); return 1; }
    struct stat st;
    if (fstat(fd, &st) != 0) { perror("fstat"); return 1; }
    const volatile char *file = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
    if (file == MAP_FAILED) { perror("mmap file"); return 1; }
    volatile unsigned long sum = 0;
    for (off_t i = 0; i < st.st_size; i += 4096) sum += (unsigned char)file[i];
    size_t n = (size_t)atol(argv[2]) << 20;
    char *anon = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (anon == MAP_FAILED) { perror("mmap anon"); return 1; }
    for (size_t i = 0; i < n; i += 4096) anon[i] = (char)(i >> 12 | 1);
    int r = open(argv[3], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (r < 0) { perror("ready"); return 1; }
    close(r);
    struct timespec ts = { 0, 5 * 1000000L };
    for (int k = 0; k < 12000 && access(argv[4], F_OK) != 0; k++) nanosleep(&ts, NULL);
    printf("sum=%lu\n", sum);
    return 0;
}

/* Makes system calls a test has no business making and prints what the kernel answered:
 *   forbidden_syscall ptrace 3 mount 2   → "ptrace -1 EPERM" ×3, "mount -1 EPERM" ×2
 * ptrace is PTRACE_TRACEME (harmless when allowed: returns 0). mount targets a nonexistent
 * path, so if it were allowed it would fail with ENOENT rather than change anything. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <unistd.h>
static const char *ename(int e) {
    switch (e) { case EPERM: return "EPERM"; case EACCES: return "EACCES"; case ENOENT: return "ENOENT";
                 case ENOSYS: return "ENOSYS"; default: return strerror(e); }
}
int main(int argc, char **argv) {
    for (int i = 1; i + 1 < argc; i += 2) {
        int n = atoi(argv[i + 1]);
        for (int k = 0; k < n; k++) {
            long r = -1;
            errno = 0;
            if (!strcmp(argv[i], "ptrace")) r = ptrace(PTRACE_TRACEME, 0, 0, 0);
            else if (!strcmp(argv[i], "mount")) r = mount("none", "/nonexistent-cleanroom", "tmpfs", 0, 0);
            else if (!strcmp(argv[i], "mkdir")) r = syscall(SYS_mkdir, "/tmp/cleanroom-forbidden-dir", 0755);
            else if (!strcmp(argv[i], "reboot")) r = syscall(SYS_reboot, 0, 0, 0, 0);   /* bad magic: EINVAL if allowed */
            printf("%s %ld %s\n", argv[i], r, r == 0 ? "OK" : ename(errno));
            if (!strcmp(argv[i], "ptrace") && r == 0) break;   /* TRACEME only works once */
        }
    }
    return 0;
}

/* glibc 2.35 compatibility of the statically linked C++ runtime (scripts/static-libstdc++).
 *
 * GCC 12's libstdc++.a calls arc4random (std::random_device, which the Swift runtime pulls in),
 * a function glibc only gained in 2.36: linked from the archive, the binary would refuse to load
 * on Ubuntu 22.04 (glibc 2.35), which the shared libstdc++ of the same GCC serves. Defined here,
 * the archive's reference binds to this one and nothing newer than 2.35 is imported
 * (docs/install.md's linkage section; Tests/dist/run checks it). Same contract as glibc's:
 * uniformly random bits from the kernel's CSPRNG, never failing. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

uint32_t arc4random(void) {
    uint32_t value;
    unsigned char *p = (unsigned char *)&value;
    size_t got = 0;
    while (got < sizeof value) {
        ssize_t n = getrandom(p + got, sizeof value - got, 0);
        if (n > 0) got += (size_t)n;
        else if (n < 0 && errno != EINTR) abort();   /* glibc aborts too: no weak fallback */
    }
    return value;
}

/* One double through snprintf, for Swift's CFormat: a C call with a fixed signature instead of
 * Swift's withVaList, whose CVarArg casts were each a first protocol-conformance lookup, a scan of
 * every conformance record of the static binary (16 of `exec`'s 35; docs/BENCHMARKS.md). Parent
 * side only: never called between clone and execve. */
#include "include/cspawn.h"

#include <stdio.h>

int cspawn_format_double(char *buf, size_t cap, const char *format, double value) {
    return snprintf(buf, cap, format, value);
}

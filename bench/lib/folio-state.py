#!/usr/bin/env python3
"""How the page cache holds a file: the share of its pages cached, and of those, the share in
large folios (from /proc/kpageflags; needs root). Only pages already cached are looked at
(mincore first), so looking changes nothing.

Why it is printed beside the start-up and RSS rows: the same bytes, wholly cached, started in
2.2 or 2.8 ms (`--version`) and peaked at 22 or 20 MiB (`run --repeat 100`) depending on this
state alone — large folios make each fault map more (fewer, cheaper faults; more resident
text). A file just written (a copy, an install) is in large folios; one evicted and faulted back
piece by piece is in small pages (docs/BENCHMARKS.md "2026-12-05 evening").

    bench/lib/folio-state.py FILE
      ->  "loaded segments 77 MiB: cached 100 %, in large folios 27 %"
"""
import ctypes, mmap, os, struct, sys

libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long]
libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p]
libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]

path = sys.argv[1]
fd = os.open(path, os.O_RDONLY)
size = os.fstat(fd).st_size
pages = (size + 4095) // 4096
addr = libc.mmap(None, pages * 4096, mmap.PROT_READ, mmap.MAP_PRIVATE, fd, 0)
if addr in (None, ctypes.c_void_p(-1).value):
    sys.exit(f"mmap {path}: errno {ctypes.get_errno()}")
vec = ctypes.create_string_buffer(pages)
if libc.mincore(addr, pages * 4096, vec) != 0:
    sys.exit(f"mincore {path}: errno {ctypes.get_errno()}")
# Only what the program maps to run (its PT_LOAD segments): a release binary's debug sections,
# more than half of it, are never mapped.
def loaded_pages():
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return range(pages)
        phoff, = struct.unpack_from("<Q", head, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", head, 0x36)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    out = set()
    for k in range(phnum):
        ptype, _, offset, _, _, filesz = struct.unpack_from("<IIQQQQ", table, k * phentsize)
        if ptype == 1:   # PT_LOAD
            out.update(range(offset // 4096, (offset + filesz + 4095) // 4096))
    return sorted(p for p in out if p < pages)
loaded = loaded_pages()
cached = [i for i in loaded if vec.raw[i] & 1]
large = 0
try:
    with open("/proc/self/pagemap", "rb") as pm, open("/proc/kpageflags", "rb") as kf:
        for i in cached:
            ctypes.c_char.from_address(addr + i * 4096).value   # maps the cached page, reads nothing from disk
            pm.seek((addr // 4096 + i) * 8)
            entry = struct.unpack("Q", pm.read(8))[0]
            pfn = entry & ((1 << 55) - 1)
            if not (entry >> 63) & 1 or pfn == 0:
                continue
            kf.seek(pfn * 8)
            flags = struct.unpack("Q", kf.read(8))[0]
            if flags & ((1 << 15) | (1 << 16)):   # KPF_COMPOUND_HEAD | KPF_COMPOUND_TAIL
                large += 1
    share = f"{100 * large / len(cached):.0f} %" if cached else "-"
except PermissionError:
    share = "unknown (needs root)"
libc.munmap(addr, pages * 4096)
os.close(fd)
print(f"loaded segments {len(loaded) * 4096 / 2**20:.0f} MiB: cached {100 * len(cached) / max(1, len(loaded)):.0f} %, "
      f"in large folios {share}")

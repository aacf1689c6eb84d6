/* Start-up: giving back the pages the dynamic loader needed only once. */
#define _GNU_SOURCE
#include "cs_internal.h"

#include <elf.h>
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

struct rela_range { uintptr_t start, end; };

static int find_main_relocations(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct rela_range *out = data;
    /* The first object is the executable itself. */
    for (int i = 0; i < info->dlpi_phnum; i++) {
        if (info->dlpi_phdr[i].p_type != PT_DYNAMIC) continue;
        const ElfW(Dyn) *dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
        uintptr_t rela = 0, relasz = 0;
        for (; dyn->d_tag != DT_NULL; dyn++) {
            if (dyn->d_tag == DT_RELA) rela = dyn->d_un.d_ptr;
            if (dyn->d_tag == DT_RELASZ) relasz = dyn->d_un.d_val;
        }
        if (rela == 0 || relasz == 0) return 1;
        /* glibc rewrites these entries to run-time addresses while loading; other loaders may not. */
        if (rela < info->dlpi_addr) rela += info->dlpi_addr;
        out->start = rela;
        out->end = rela + relasz;
        return 1;
    }
    return 1;
}

/* The whole pages of [start, end) (both 0 when there are none). */
static void whole_pages(uintptr_t start, uintptr_t end, uintptr_t *from, uintptr_t *to) {
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t f = (start + page - 1) & ~(page - 1), t = end & ~(page - 1);
    int none = start == 0 || t <= f;
    *from = none ? 0 : f;
    *to = none ? 0 : t;
}

/* Unmaps the whole pages of [start, end) from this process: bytes, or -errno. */
static long drop_pages(uintptr_t start, uintptr_t end) {
    uintptr_t from, to;
    whole_pages(start, end, &from, &to);
    if (to <= from) return 0;
    if (madvise((void *)from, to - from, MADV_DONTNEED) != 0) return -errno;
    return (long)(to - from);
}

void cspawn_relocation_pages(uintptr_t *start, uintptr_t *end) {
    struct rela_range r = {0, 0};
    dl_iterate_phdr(find_main_relocations, &r);
    whole_pages(r.start, r.end, start, end);
}

long cspawn_release_relocations(void) {
    struct rela_range r = {0, 0};
    dl_iterate_phdr(find_main_relocations, &r);
    return drop_pages(r.start, r.end);
}

/* The executable's read-only segments: never written, so every page is the file's (no anon page to
 * lose), each dropped on its own (a writable segment between two would not be touched). */
struct text_segments { int n; uintptr_t start[8], end[8]; };

static int find_main_text(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct text_segments *out = data;
    for (int i = 0; i < info->dlpi_phnum && out->n < 8; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W)) continue;
        out->start[out->n] = info->dlpi_addr + ph->p_vaddr;
        out->end[out->n] = out->start[out->n] + ph->p_memsz;
        out->n++;
    }
    return 1;   /* the first object is the executable */
}

void cspawn_text_pages(uintptr_t *start, uintptr_t *end) {
    struct text_segments t = { 0, {0}, {0} };
    dl_iterate_phdr(find_main_text, &t);
    uintptr_t lo = 0, hi = 0;
    for (int i = 0; i < t.n; i++) {
        if (lo == 0 || t.start[i] < lo) lo = t.start[i];
        if (t.end[i] > hi) hi = t.end[i];
    }
    whole_pages(lo, hi, start, end);
}

long cspawn_release_text(void) {
    struct text_segments t = { 0, {0}, {0} };
    dl_iterate_phdr(find_main_text, &t);
    long total = 0;
    for (int i = 0; i < t.n; i++) {
        long r = drop_pages(t.start[i], t.end[i]);
        if (r < 0) return r;
        total += r;
    }
    return total;
}

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

void cspawn_relocation_pages(uintptr_t *start, uintptr_t *end) {
    struct rela_range r = {0, 0};
    dl_iterate_phdr(find_main_relocations, &r);
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (r.start + page - 1) & ~(page - 1), to = r.end & ~(page - 1);
    int none = r.start == 0 || to <= from;
    *start = none ? 0 : from;
    *end = none ? 0 : to;
}

long cspawn_release_relocations(void) {
    uintptr_t from, to;
    cspawn_relocation_pages(&from, &to);
    if (to <= from) return 0;
    if (madvise((void *)from, to - from, MADV_DONTNEED) != 0) return -errno;
    return (long)(to - from);
}

struct text_range { uintptr_t start, end; };

static int find_main_text(struct dl_phdr_info *info, size_t size, void *data) {
    (void)size;
    struct text_range *out = data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        /* The read-only segments: never written, so every page is the file's (no anon page to lose). */
        if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W)) continue;
        uintptr_t at = info->dlpi_addr + ph->p_vaddr;
        if (out->start == 0 || at < out->start) out->start = at;
        if (at + ph->p_memsz > out->end) out->end = at + ph->p_memsz;
    }
    return 1;   /* the first object is the executable */
}

void cspawn_text_pages(uintptr_t *start, uintptr_t *end) {
    struct text_range r = {0, 0};
    dl_iterate_phdr(find_main_text, &r);
    uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
    uintptr_t from = (r.start + page - 1) & ~(page - 1), to = r.end & ~(page - 1);
    int none = r.start == 0 || to <= from;
    *start = none ? 0 : from;
    *end = none ? 0 : to;
}

long cspawn_release_text(void) {
    uintptr_t from, to;
    cspawn_text_pages(&from, &to);
    if (to <= from) return 0;
    if (madvise((void *)from, to - from, MADV_DONTNEED) != 0) return -errno;
    return (long)(to - from);
}

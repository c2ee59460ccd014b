/* bonbon: a hardened, ptmalloc-style memory allocator.
 *
 * This is the one public header. The library exports every function below
 * twice: under the `bb_` prefix declared here, and under its standard name
 * (malloc, free, ..., malloc_usable_size, mallinfo2) so that linking or
 * LD_PRELOADing libbonbon.so replaces the C library's allocator.
 *
 * Semantics follow glibc (see README.md, "API semantics"):
 *   - every pointer is 16-byte aligned; malloc(0) returns a unique pointer;
 *   - sizes above PTRDIFF_MAX and overflowing calloc/reallocarray/pvalloc
 *     return NULL with errno = ENOMEM;
 *   - a bad alignment gives EINVAL (returned by posix_memalign);
 *   - realloc(p, 0) with p != NULL frees p and returns NULL, like glibc;
 *   - a failed realloc leaves the block intact.
 * A pointer that was not returned by this allocator, or a corrupted heap,
 * ends the process with one line `bonbon: <check> at <address>` on stderr
 * and abort(), unless a fatal hook is installed (bb_set_fatal_hook).
 */
#ifndef BONBON_H
#define BONBON_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define BB_API __attribute__((visibility("default")))
#else
#define BB_API
#endif

/* ---------------------------------------------------------------------
 * The process-wide allocator, prefixed names.
 * ------------------------------------------------------------------ */
BB_API void *bb_malloc(size_t size);
BB_API void bb_free(void *ptr);
BB_API void *bb_calloc(size_t nmemb, size_t size);
BB_API void *bb_realloc(void *ptr, size_t size);
BB_API void *bb_reallocarray(void *ptr, size_t nmemb, size_t size);
BB_API int bb_posix_memalign(void **out, size_t alignment, size_t size);
BB_API void *bb_aligned_alloc(size_t alignment, size_t size);
BB_API void *bb_memalign(size_t alignment, size_t size);
BB_API void *bb_valloc(size_t size);
BB_API void *bb_pvalloc(size_t size);
BB_API size_t bb_malloc_usable_size(void *ptr);
BB_API void bb_free_sized(void *ptr, size_t size);
BB_API void bb_free_aligned_sized(void *ptr, size_t alignment, size_t size);
BB_API int bb_malloc_trim(size_t pad);
BB_API void bb_malloc_stats(void);

/* Same layout as glibc's struct mallinfo2 (malloc.h). */
struct bb_mallinfo2 {
  size_t arena;    /* bytes of heap segments committed from the OS */
  size_t ordblks;  /* free chunks in bins (and the top chunk) */
  size_t smblks;   /* free chunks in fast bins */
  size_t hblks;    /* separately mapped chunks */
  size_t hblkhd;   /* bytes in separately mapped chunks */
  size_t usmblks;  /* always 0, as in glibc */
  size_t fsmblks;  /* bytes in fast-bin chunks */
  size_t uordblks; /* bytes in use (including thread caches) */
  size_t fordblks; /* free bytes in bins, fast bins and top */
  size_t keepcost; /* bytes in the top chunks */
};
BB_API struct bb_mallinfo2 bb_mallinfo2(void);

/* C23 sized deallocation; not declared by glibc 2.36's <stdlib.h>. */
BB_API void free_sized(void *ptr, size_t size);
BB_API void free_aligned_sized(void *ptr, size_t alignment, size_t size);

/* ---------------------------------------------------------------------
 * Fatal path.
 * A detected corruption calls the hook (if any) with the check's name and
 * the address it concerns. If the hook returns, or there is none, bonbon
 * prints `bonbon: <check> at <address>` and aborts. A hook may longjmp out;
 * the heap involved is then unusable except for bb_heap_destroy().
 * ------------------------------------------------------------------ */
typedef void (*bb_fatal_hook)(const char *check, const void *addr);
BB_API bb_fatal_hook bb_set_fatal_hook(bb_fatal_hook hook);

/* ---------------------------------------------------------------------
 * Heap instances.
 * The process-wide allocator is a thin layer over one bb_heap. Tests and
 * fuzzers create their own heaps, each over a memory source, with a seed
 * that makes every secret, and so every run, deterministic.
 * ------------------------------------------------------------------ */
typedef struct bb_heap bb_heap;

/* Where a heap gets its address space. All lengths and addresses are
 * multiples of the page size. `reserve` returns inaccessible address
 * space aligned to `align` (a power of two) or NULL; `commit` makes a
 * reserved range readable, writable and zero-filled; `decommit` gives the
 * memory back and makes the range inaccessible again; `release` returns a
 * reservation. `map`/`unmap` serve chunks with their own mapping and the
 * heap's metadata: `map` returns zero-filled read-write memory (or NULL),
 * `remap` may move it (or return NULL). `protect` sets a mapped or
 * committed range to no access (0), read-only (1) or read-write (2).
 * `purge` (may be NULL) drops the contents of committed pages and keeps
 * them accessible; they read as zero afterwards.
 * A NULL source means the operating system (mmap). */
typedef struct bb_source {
  void *(*reserve)(void *ctx, size_t len, size_t align);
  int (*commit)(void *ctx, void *addr, size_t len);
  int (*decommit)(void *ctx, void *addr, size_t len);
  void (*release)(void *ctx, void *addr, size_t len);
  void *(*map)(void *ctx, size_t len);
  void *(*remap)(void *ctx, void *addr, size_t old_len, size_t new_len);
  void (*unmap)(void *ctx, void *addr, size_t len);
  int (*protect)(void *ctx, void *addr, size_t len, int prot);
  int (*purge)(void *ctx, void *addr, size_t len); /* optional */
  void *ctx;
} bb_source;

typedef struct bb_heap_config {
  const bb_source *source; /* NULL: the operating system */
  int seeded;              /* nonzero: derive every secret from `seed` */
  uint64_t seed;           /* otherwise secrets come from getrandom() */
  unsigned max_arenas;     /* 0: 1 for an instance heap */
  const char *options;     /* as BONBON_OPTIONS; NULL: the rung's defaults */
} bb_heap_config;

BB_API bb_heap *bb_heap_create(const bb_heap_config *config);
BB_API void bb_heap_destroy(bb_heap *heap);
BB_API bb_heap *bb_process_heap(void);

BB_API void *bb_heap_malloc(bb_heap *heap, size_t size);
BB_API void bb_heap_free(bb_heap *heap, void *ptr);
BB_API void *bb_heap_calloc(bb_heap *heap, size_t nmemb, size_t size);
BB_API void *bb_heap_realloc(bb_heap *heap, void *ptr, size_t size);
BB_API void *bb_heap_memalign(bb_heap *heap, size_t alignment, size_t size);
BB_API size_t bb_heap_usable_size(bb_heap *heap, void *ptr);
BB_API void bb_heap_free_sized(bb_heap *heap, void *ptr, size_t size);
BB_API int bb_heap_trim(bb_heap *heap, size_t pad);
BB_API struct bb_mallinfo2 bb_heap_mallinfo2(bb_heap *heap);

/* Nonzero when [addr, addr+len) lies inside memory the heap owns: a
 * committed heap segment or a separately mapped chunk. */
BB_API int bb_heap_owns(bb_heap *heap, const void *addr, size_t len);

/* ---------------------------------------------------------------------
 * The heap checker.
 * Walks every segment, bin and cache of a heap, verifies every invariant,
 * and reports the first violation by its ID (the same names as the ACSL
 * predicates in specs/). It never aborts. Call it only while no other
 * thread uses the heap's thread caches.
 * ------------------------------------------------------------------ */
typedef struct bb_check_report {
  const char *invariant; /* e.g. "INV-BIN-LINKS", or NULL when all hold */
  const void *addr;      /* the chunk or bin concerned */
  const char *detail;    /* a short fixed explanation */
} bb_check_report;

/* Returns 0 when every invariant holds, -1 otherwise (and fills *report). */
BB_API int bb_heap_check(bb_heap *heap, bb_check_report *report);

/* True (nonzero) when the heap holds no allocated chunk: every segment is
 * one free top region or released, no mapped chunk remains, and the
 * caches and bins are empty after consolidation. Used by the fuzzers' and
 * tests' "free everything" oracle. */
BB_API int bb_heap_is_empty(bb_heap *heap);

#ifdef __cplusplus
}
#endif
#endif /* BONBON_H */

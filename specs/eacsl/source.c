/* source.c: the heap's memory for the E-ACSL build, from one static array.
 *
 * E-ACSL brings its own malloc and only knows the memory it saw allocated:
 * globals, the stack and its own heap. So the E-ACSL build (BB_EACSL, see
 * allocator/chunk.h) takes every page the allocator uses, for segments,
 * mapped chunks and metadata alike, from bb_vheap, a static array, through
 * this bb_source. Word i (address 8i) is then bb_vheap[i - bb_vbase]:
 * E-ACSL checks every word the core reads or writes against the array's
 * bounds, and the contracts' W(i) reads the same word.
 *
 * A first-fit page allocator over a bitmap: simple, deterministic, and
 * fast enough for the replay. Protection and purging are no-ops (E-ACSL
 * cannot see page protections anyway); commit and map zero-fill, as the
 * bb_source contract says. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <bonbon.h>

#define PAGE 4096u
#define NPAGES (1u << 18) /* 1 GiB */

size_t bb_vheap[(size_t)NPAGES * PAGE / 8] __attribute__((aligned(4096)));
size_t bb_vbase; /* (uintptr_t)bb_vheap / 8, set by eacsl_source() */

static uint64_t used[NPAGES / 64];

static int page_used(size_t p) { return (used[p / 64] >> (p % 64)) & 1; }

static void mark(size_t p, size_t n, int on) {
  for (size_t i = p; i < p + n; i++) {
    if (on)
      used[i / 64] |= (uint64_t)1 << (i % 64);
    else
      used[i / 64] &= ~((uint64_t)1 << (i % 64));
  }
}

/* n free pages whose address is a multiple of `align` pages, or -1. The
 * alignment is of the address, not of the offset in the array: the array
 * itself is only page-aligned, wherever the loader puts it. */
static long find(size_t n, size_t align) {
  size_t off = (align - (uintptr_t)bb_vheap / PAGE % align) % align;
  for (size_t p = off; p + n <= NPAGES; p += align) {
    if (align == 1 && p % 64 == 0 && used[p / 64] == ~(uint64_t)0) {
      p += 63; /* a full bitmap word */
      continue;
    }
    size_t i = 0;
    while (i < n && !page_used(p + i))
      i++;
    if (i == n)
      return (long)p;
    if (align == 1)
      p += i;
  }
  return -1;
}

static char *base(void) { return (char *)bb_vheap; }

static void *alloc(size_t len, size_t align) {
  size_t n = (len + PAGE - 1) / PAGE, al = align > PAGE ? align / PAGE : 1;
  long p = find(n, al);
  if (p < 0)
    return NULL;
  mark((size_t)p, n, 1);
  return base() + (size_t)p * PAGE;
}

static void release(void *ctx, void *addr, size_t len) {
  (void)ctx;
  mark((size_t)((char *)addr - base()) / PAGE, (len + PAGE - 1) / PAGE, 0);
}

static void *reserve(void *ctx, size_t len, size_t align) {
  (void)ctx;
  return alloc(len, align);
}

static int commit(void *ctx, void *addr, size_t len) {
  (void)ctx;
  memset(addr, 0, len);
  return 0;
}

static int decommit(void *ctx, void *addr, size_t len) {
  (void)ctx;
  memset(addr, 0, len);
  return 0;
}

static void *map(void *ctx, size_t len) {
  (void)ctx;
  void *p = alloc(len, PAGE);
  if (p)
    memset(p, 0, len);
  return p;
}

static void unmap(void *ctx, void *addr, size_t len) {
  release(ctx, addr, len);
}

static void *remap(void *ctx, void *addr, size_t old_len, size_t new_len) {
  void *q = map(ctx, new_len);
  if (!q)
    return NULL;
  memcpy(q, addr, old_len < new_len ? old_len : new_len);
  unmap(ctx, addr, old_len);
  return q;
}

static int protect(void *ctx, void *addr, size_t len, int prot) {
  (void)ctx, (void)addr, (void)len, (void)prot;
  return 0;
}

static int purge(void *ctx, void *addr, size_t len) {
  (void)ctx;
  memset(addr, 0, len);
  return 0;
}

static const bb_source source = {reserve, commit, decommit, release, map,
                                 remap,   unmap,  protect,  purge,   NULL};

const bb_source *eacsl_source(void) {
  bb_vbase = (uintptr_t)bb_vheap / 8;
  return &source;
}

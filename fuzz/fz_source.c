/* fz_source.c: the fuzzers' memory source (see fz_common.h).
 *
 * One PROT_NONE, MAP_NORESERVE zone at a fixed address holds everything
 * the heap gets. Its pages stay resident between inputs, because faulting
 * fresh pages in for every input costs more than the allocator itself:
 * unmap zeroes a mapping (so the map zone's free memory is always zero),
 * commit zeroes what it commits, in both cases only the resident pages.
 * Reservations are 64 MiB slots
 * taken lowest first; mappings are first-fit in the map zone with a gap
 * page after each. The map zone stays read-write (changing protections
 * there cost more than the rest of an input); segments keep PROT_NONE
 * outside what is committed, so an overrun of the top or a fence faults. Both orders are deterministic, so the same input gets
 * the same addresses in every process.
 *
 * Fault injection refuses the N-th reserve, commit, map, remap or
 * protect.
 *
 * Contract checks (finding SOURCE-CONTRACT): commit/decommit/purge stay
 * inside a live reservation and are page-aligned; release and unmap name
 * exactly what reserve and map returned. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fz_common.h"

#define MAP_BASE (FZ_ZONE_BASE + FZ_SEG_SLOTS * FZ_SEG_SLOT)
#define HARNESS_BASE (MAP_BASE + FZ_MAP_ZONE)
#define ZONE_LEN (FZ_SEG_SLOTS * FZ_SEG_SLOT + FZ_MAP_ZONE + FZ_HARNESS_ZONE)
#define MAX_MAPS 4096u
#define MAX_FREE 4096u

struct ext {
  uintptr_t a;
  size_t len;
  int prot; /* a mapping the allocator changed protections in */
};

static struct {
  uintptr_t base; /* the zone actually obtained */
  struct {
    size_t nslots;    /* 0: free; else the reservation's length in slots */
    size_t committed; /* bytes, for the budget */
  } seg[FZ_SEG_SLOTS];
  struct ext maps[MAX_MAPS]; /* live mappings (guard page not included) */
  size_t nmaps;
  struct ext freel[MAX_FREE]; /* free map-zone extents, sorted */
  size_t nfree;
  size_t used, budget;
  unsigned long fail_at;
} S;

struct fz_stats fz_src_stats;

static uintptr_t seg_base(void) { return S.base; }
static uintptr_t map_base(void) { return S.base + FZ_SEG_SLOTS * FZ_SEG_SLOT; }

static void drop(uintptr_t a, size_t len) {
  if (len)
    madvise((void *)a, len, MADV_DONTNEED);
}

/* Zero memory: below 4 MiB, memset its resident pages only (the others
 * read as zero already), so that they stay resident for the next input
 * instead of faulting in again; above, give the pages back. Which pages are resident depends on earlier inputs,
 * so this function is not instrumented for coverage (here and, for
 * AFL++, by fuzz/afl_denylist.txt): an input must take the same branches
 * on every run (AFL++ stability). */
__attribute__((noinline, no_sanitize("coverage"))) static void
zero(uintptr_t a, size_t len) {
  static unsigned char vec[FZ_SEG_SLOT / FZ_PAGE];
  if (len >= ((size_t)4 << 20))
    return drop(a, len); /* large: cheaper to give the pages back */
  while (len) {
    size_t n = len < FZ_SEG_SLOT ? len : FZ_SEG_SLOT;
    if (mincore((void *)a, n, vec) != 0) {
      drop(a, n);
    } else {
      for (size_t p = 0; p < n / FZ_PAGE; p++)
        if (vec[p] & 1)
          memset((void *)(a + p * FZ_PAGE), 0, FZ_PAGE);
    }
    a += n;
    len -= n;
  }
}



static void prot(uintptr_t a, size_t len, int p) {
  if (len && mprotect((void *)a, len, p) != 0)
    fz_finding("HARNESS", "mprotect(%#lx, %zu) failed: errno %d",
               (unsigned long)a, len, errno);
}

/* A request for `len` more bytes: refused past the budget or when it is
 * the injected failure. */
/* The injected failure: the fail_at-th request. */
static int inject(void) {
  unsigned long n = ++fz_src_stats.calls;
  if (S.fail_at && n == S.fail_at) {
    fz_src_stats.refusals++;
    return 1;
  }
  return 0;
}

static int grant(size_t len) {
  if (inject())
    return 0;
  if (len > S.budget - S.used) {
    fz_src_stats.refusals++;
    return 0;
  }
  return 1;
}

static int page_ok(uintptr_t a, size_t len) {
  return a % FZ_PAGE == 0 && len % FZ_PAGE == 0;
}

/* The slot whose live reservation contains [a, a+len), or -1. */
static long seg_find(uintptr_t a, size_t len) {
  if (a < seg_base() || a >= map_base())
    return -1;
  size_t i = (a - seg_base()) / FZ_SEG_SLOT;
  while (i > 0 && S.seg[i].nslots == 0)
    i--;
  uintptr_t lo = seg_base() + i * FZ_SEG_SLOT;
  uintptr_t hi = lo + S.seg[i].nslots * FZ_SEG_SLOT;
  if (S.seg[i].nslots == 0 || a < lo || len > hi - a)
    return -1;
  return (long)i;
}

/* ------------------------------------------------------------ segments */

static void *src_reserve(void *ctx, size_t len, size_t align) {
  (void)ctx;
  if (len == 0 || len % FZ_PAGE || align == 0 || (align & (align - 1)))
    fz_finding("SOURCE-CONTRACT", "reserve(%zu, %zu)", len, align);
  ++fz_src_stats.calls;
  if (S.fail_at && fz_src_stats.calls == S.fail_at) {
    fz_src_stats.refusals++;
    return NULL;
  }
  size_t n = (len + FZ_SEG_SLOT - 1) / FZ_SEG_SLOT;
  size_t step = align > FZ_SEG_SLOT ? align / FZ_SEG_SLOT : 1;
  for (size_t i = 0; i + n <= FZ_SEG_SLOTS; i += step) {
    size_t j = 0;
    while (j < n && S.seg[i + j].nslots == 0)
      j++;
    if (j == n) {
      S.seg[i].nslots = n;
      S.seg[i].committed = 0;
      for (j = 1; j < n; j++)
        S.seg[i + j].nslots = (size_t)-1; /* covered, not a start */
      return (void *)(seg_base() + i * FZ_SEG_SLOT);
    }
  }
  fz_src_stats.refusals++;
  return NULL;
}

static long seg_start(uintptr_t a, size_t len) {
  long i = seg_find(a, len);
  if (i < 0 || S.seg[i].nslots == (size_t)-1 || !page_ok(a, len))
    return -1;
  return i;
}

static int src_commit(void *ctx, void *addr, size_t len) {
  (void)ctx;
  long i = seg_start((uintptr_t)addr, len);
  if (i < 0)
    fz_finding("SOURCE-CONTRACT", "commit(%p, %zu) outside a reservation",
               addr, len);
  if (!grant(len))
    return -1;
  prot((uintptr_t)addr, len, PROT_READ | PROT_WRITE);
  zero((uintptr_t)addr, len); /* it may hold an earlier input's data */
  S.seg[i].committed += len;
  S.used += len;
  return 0;
}

static int src_decommit(void *ctx, void *addr, size_t len) {
  (void)ctx;
  long i = seg_start((uintptr_t)addr, len);
  if (i < 0 || len > S.seg[i].committed)
    fz_finding("SOURCE-CONTRACT", "decommit(%p, %zu) outside a commit", addr,
               len);
  prot((uintptr_t)addr, len, PROT_NONE); /* commit zeroes it again */
  S.seg[i].committed -= len;
  S.used -= len;
  return 0;
}

static void seg_free(size_t i) {
  uintptr_t a = seg_base() + i * FZ_SEG_SLOT;
  size_t n = S.seg[i].nslots, len = n * FZ_SEG_SLOT, keep = (size_t)1 << 20;
  prot(a, len, PROT_NONE);
  drop(a + keep, len - keep); /* bounds the fuzzer's RSS */
  S.used -= S.seg[i].committed;
  for (size_t j = 0; j < n; j++)
    S.seg[i + j].nslots = 0;
  S.seg[i].committed = 0;
}

static void src_release(void *ctx, void *addr, size_t len) {
  (void)ctx;
  long i = seg_start((uintptr_t)addr, len);
  if (i < 0 || (uintptr_t)addr != seg_base() + (size_t)i * FZ_SEG_SLOT ||
      (len + FZ_SEG_SLOT - 1) / FZ_SEG_SLOT != S.seg[i].nslots)
    fz_finding("SOURCE-CONTRACT", "release(%p, %zu) of no reservation", addr,
               len);
  seg_free((size_t)i);
}

static int src_purge(void *ctx, void *addr, size_t len) {
  (void)ctx;
  if (seg_start((uintptr_t)addr, len) < 0)
    fz_finding("SOURCE-CONTRACT", "purge(%p, %zu) outside a reservation",
               addr, len);
  drop((uintptr_t)addr, len);
  return 0;
}

/* ------------------------------------------------------------ mappings */

static void free_insert(uintptr_t a, size_t len) {
  size_t i = 0;
  while (i < S.nfree && S.freel[i].a < a)
    i++;
  /* Merge with the previous and the next extent when they touch. */
  if (i > 0 && S.freel[i - 1].a + S.freel[i - 1].len == a) {
    S.freel[i - 1].len += len;
    if (i < S.nfree && a + len == S.freel[i].a) {
      S.freel[i - 1].len += S.freel[i].len;
      memmove(&S.freel[i], &S.freel[i + 1],
              (S.nfree - i - 1) * sizeof S.freel[0]);
      S.nfree--;
    }
    return;
  }
  if (i < S.nfree && a + len == S.freel[i].a) {
    S.freel[i].a = a;
    S.freel[i].len += len;
    return;
  }
  if (S.nfree == MAX_FREE)
    fz_finding("HARNESS", "map zone too fragmented");
  memmove(&S.freel[i + 1], &S.freel[i], (S.nfree - i) * sizeof S.freel[0]);
  S.freel[i].a = a;
  S.freel[i].len = len;
  S.nfree++;
}

/* First fit of len + a guard page; 0 when the zone is full. */
static uintptr_t free_take(size_t len) {
  size_t need = len + FZ_PAGE;
  for (size_t i = 0; i < S.nfree; i++) {
    if (S.freel[i].len >= need) {
      uintptr_t a = S.freel[i].a;
      S.freel[i].a += need;
      S.freel[i].len -= need;
      if (S.freel[i].len == 0) {
        memmove(&S.freel[i], &S.freel[i + 1],
                (S.nfree - i - 1) * sizeof S.freel[0]);
        S.nfree--;
      }
      return a;
    }
  }
  return 0;
}

static long map_find(uintptr_t a) {
  for (size_t i = 0; i < S.nmaps; i++)
    if (S.maps[i].a == a)
      return (long)i;
  return -1;
}

static void *src_map(void *ctx, size_t len) {
  (void)ctx;
  if (len == 0 || len % FZ_PAGE)
    fz_finding("SOURCE-CONTRACT", "map(%zu)", len);
  if (!grant(len))
    return NULL;
  uintptr_t a = S.nmaps < MAX_MAPS ? free_take(len) : 0;
  if (!a) {
    fz_src_stats.refusals++;
    return NULL;
  }
  S.maps[S.nmaps].a = a;
  S.maps[S.nmaps].len = len;
  S.maps[S.nmaps].prot = 0;
  S.nmaps++;
  S.used += len;
  return (void *)a;
}

static void map_drop(size_t i) {
  uintptr_t a = S.maps[i].a;
  size_t len = S.maps[i].len;
  if (S.maps[i].prot) /* guard pages, sealed metadata */
    prot(a, len, PROT_READ | PROT_WRITE);
  zero(a, len);
  S.used -= len;
  S.maps[i] = S.maps[--S.nmaps];
  free_insert(a, len + FZ_PAGE);
}

static void src_unmap(void *ctx, void *addr, size_t len) {
  (void)ctx;
  long i = map_find((uintptr_t)addr);
  if (i < 0 || S.maps[i].len != len)
    fz_finding("SOURCE-CONTRACT", "unmap(%p, %zu) of no mapping", addr, len);
  map_drop((size_t)i);
}

/* Move the pages with mremap (no copy), then plug the hole it leaves in
 * the zone. Shrinking stays in place. */
static void *src_remap(void *ctx, void *addr, size_t old_len,
                       size_t new_len) {
  (void)ctx;
  long i = map_find((uintptr_t)addr);
  if (i < 0 || S.maps[i].len != old_len || new_len == 0 || new_len % FZ_PAGE)
    fz_finding("SOURCE-CONTRACT", "remap(%p, %zu, %zu)", addr, old_len,
               new_len);
  uintptr_t a = (uintptr_t)addr;
  if (S.maps[i].prot) { /* one VMA again, and readable for a copy */
    prot(a, old_len, PROT_READ | PROT_WRITE);
    S.maps[i].prot = 0;
  }
  if (new_len <= old_len) {
    zero(a + new_len, old_len - new_len);
    S.maps[i].len = new_len;
    S.used -= old_len - new_len;
    /* The page after the new end is the new guard page. */
    free_insert(a + new_len + FZ_PAGE, old_len - new_len);
    return addr;
  }
  if (!grant(new_len - old_len))
    return NULL;
  uintptr_t b = free_take(new_len);
  if (!b) {
    fz_src_stats.refusals++;
    return NULL;
  }
  void *m = mremap(addr, old_len, new_len, MREMAP_MAYMOVE | MREMAP_FIXED,
                   (void *)b);
  if (m != MAP_FAILED) {
    if (mmap(addr, old_len, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
             0) == MAP_FAILED)
      fz_finding("HARNESS", "mmap plug failed: errno %d", errno);
  } else { /* the old range spans two VMAs: copy */
    memcpy((void *)b, addr, old_len);
    zero(a, old_len);
  }
  free_insert(a, old_len + FZ_PAGE);
  S.maps[i].a = b;
  S.maps[i].len = new_len;
  S.used += new_len - old_len;
  return (void *)b;
}

static int src_protect(void *ctx, void *addr, size_t len, int p) {
  (void)ctx;
  static const int m[3] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
  if (p < 0 || p > 2 || !page_ok((uintptr_t)addr, len))
    fz_finding("SOURCE-CONTRACT", "protect(%p, %zu, %d)", addr, len, p);
  uintptr_t a = (uintptr_t)addr;
  int in = seg_find(a, len) >= 0;
  for (size_t i = 0; i < S.nmaps && !in; i++)
    if (a >= S.maps[i].a && a < S.maps[i].a + S.maps[i].len &&
        len <= S.maps[i].a + S.maps[i].len - a)
      in = 1, S.maps[i].prot = 1;
  if (!in)
    fz_finding("SOURCE-CONTRACT", "protect(%p, %zu) of memory it does not "
               "own", addr, len);
  if (inject())
    return -1;
  return mprotect(addr, len, m[p]);
}

static const bb_source source = {
    src_reserve, src_commit, src_decommit, src_release, src_map,
    src_remap,   src_unmap,  src_protect,  src_purge,   NULL,
};
const bb_source *fz_source = &source;

/* ---------------------------------------------------------- lifecycle */

void fz_source_init(void) {
  if (S.base)
    return;
  void *p = mmap((void *)FZ_ZONE_BASE, ZONE_LEN, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
                     MAP_FIXED_NOREPLACE,
                 -1, 0);
  if (p == MAP_FAILED || (uintptr_t)p != FZ_ZONE_BASE) {
    /* Somewhere else, aligned: still deterministic within this process. */
    size_t span = ZONE_LEN + FZ_SEG_SLOT;
    char *q = mmap(NULL, span, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (q == MAP_FAILED) {
      fprintf(stderr, "bonbon-fuzz: cannot map the fuzzing zone\n");
      abort();
    }
    p = (void *)(((uintptr_t)q + FZ_SEG_SLOT - 1) / FZ_SEG_SLOT * FZ_SEG_SLOT);
    fprintf(stderr, "bonbon-fuzz: zone not at its fixed address; addresses "
                    "differ from other processes\n");
  }
  S.base = (uintptr_t)p;
  prot(map_base(), FZ_MAP_ZONE + FZ_HARNESS_ZONE, PROT_READ | PROT_WRITE);
  fz_source_reset();
}

void fz_source_reset(void) {
  for (size_t i = 0; i < FZ_SEG_SLOTS; i++)
    if (S.seg[i].nslots != 0 && S.seg[i].nslots != (size_t)-1)
      seg_free(i);
  while (S.nmaps)
    map_drop(S.nmaps - 1);
  S.nfree = 1;
  S.freel[0].a = map_base();
  S.freel[0].len = FZ_MAP_ZONE;
  S.used = 0;
}

void fz_source_begin(size_t budget, unsigned long fail_at) {
  S.budget = budget;
  S.fail_at = fail_at;
  fz_src_stats.calls = 0;
  fz_src_stats.refusals = 0;
}

size_t fz_source_live(void) {
  size_t n = S.nmaps;
  for (size_t i = 0; i < FZ_SEG_SLOTS; i++)
    n += S.seg[i].nslots != 0 && S.seg[i].nslots != (size_t)-1;
  return n;
}

void *fz_harness_zone(void) {
  return (void *)(S.base + ZONE_LEN - FZ_HARNESS_ZONE);
}

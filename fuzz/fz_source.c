/* fz_source.c: the fuzzers' memory source (see fz_common.h).
 *
 * One PROT_NONE, MAP_NORESERVE zone at a fixed address holds everything
 * the heap gets: 64 MiB segment slots (reservations, lowest first), the
 * map zone (mappings in slots by size class, lowest first, a gap page
 * after each) and the harness zone. Both orders are deterministic, so the
 * same input gets the same addresses in every process.
 *
 * Speed. On the development machine (a virtual machine) an mprotect that
 * splits or merges a mapping costs 5 to 10 us, a page fault on a fresh
 * page 3 to 6 us, and memset of a resident page 0.1 to 0.3 us, while a
 * short input's allocator work is a few microseconds. So this source
 *   - keeps pages resident from input to input and zeroes them with
 *     memset: a commit zeroes its resident pages (mincore) unless there
 *     are more than ZERO_MEMSET_MAX, then it gives the range back
 *     (madvise); an unmapped range is zeroed page by page when small, and
 *     has its edges zeroed and its interior given back when large (see
 *     unmap_pages); rss_valve bounds the resident set;
 *   - applies protections lazily in the map zone (below), because the
 *     guard pages of a heap's metadata land on the same addresses in every
 *     input: protecting them again costs nothing once they stay protected.
 *
 * Protections in the map zone. Every page has a logical protection (what
 * the allocator asked for: read-write in a fresh mapping, whatever
 * `protect` set since; free map-zone memory counts as read-write, as it
 * always did) and a real one (what mprotect last set). The invariant is
 *     real <= logical        (none < read < read-write)
 * so every access the allocator may not make still faults exactly as
 * before. `protect` applies its change at once where it restricts, and
 * raises where it permits more. `unmap` leaves the real protection as it
 * is: a page that stays inaccessible is marked stale (its contents were
 * not zeroed). `map` raises the pages of the new mapping to read-write,
 * except its first and last page, which are where guard pages go: if the
 * allocator protects them again, no system call is needed. A page whose
 * real protection is below its logical one (only such first and last
 * pages, and only until the allocator touches them) is raised by the
 * SIGSEGV handler on first access, zeroed first when stale; every other
 * fault goes to the handler that was installed before (libFuzzer's,
 * ASan's, or the default action). The handler is installed at the first
 * input, after the fuzzing engine installed its own.
 *
 * Segments keep their eager protections: PROT_NONE outside what is
 * committed, so an overrun of the top or a fence faults.
 *
 * Which pages are resident, and which real protections survive from
 * earlier inputs, differ from run to run; the functions whose branches
 * depend on that are not instrumented for coverage (FZ_NOCOV here, and
 * fuzz/afl_denylist.txt for AFL++), so that an input takes the same
 * instrumented branches on every run (AFL++ stability).
 *
 * Fault injection refuses the N-th reserve, commit, map, remap or
 * protect, or (separately) fails the N-th purge or decommit.
 *
 * Contract checks (finding SOURCE-CONTRACT): commit/decommit/purge stay
 * inside a live reservation and are page-aligned; release and unmap name
 * exactly what reserve and map returned.
 *
 * FZ_EACSL_ZONE (the E-ACSL build, specs/eacsl/): the zone is not mapped
 * but taken from bb_vheap, the static array E-ACSL tracks, at its first
 * 64 MiB-aligned address, with a smaller geometry (fz_common.h) and first
 * fit in the map zone instead of size classes. Everything else (budget,
 * fault injection, protections, zeroing, contract and leak checks) is the
 * same code on those pages. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "fz_common.h"
#ifdef FZ_EACSL_ZONE
#include "chunk.h" /* bb_vheap, bb_vbase, BB_EWORDS */
#endif

#define ZONE_LEN (FZ_SEG_SLOTS * FZ_SEG_SLOT + FZ_MAP_ZONE + FZ_HARNESS_ZONE)
#define MAX_MAPS 4096u
#define MAP_PAGES (FZ_MAP_ZONE / FZ_PAGE)
#ifndef FZ_EACSL_ZONE
/* Slots of the smallest class (2 pages), and the bitmap words for them. */
#define MAX_SLOTS (FZ_MAP_REGION / (2 * FZ_PAGE))
#else
_Static_assert(ZONE_LEN + FZ_SEG_SLOT - FZ_PAGE <= BB_EWORDS * 8,
               "the E-ACSL zone fits in bb_vheap wherever the array lies");
_Static_assert(MAP_PAGES % 64 == 0, "whole bitmap words");
#endif

/* Zeroing a commit: ranges up to ZERO_DIRECT pages are memset whole (a
 * page that was not resident is faulted in once and then stays); larger
 * ones ask mincore, memset the resident pages when there are at most
 * ZERO_MEMSET_MAX of them, and give the range back otherwise (memset of
 * clean resident pages, and mprotect of resident pages, cost more than
 * faulting in the few pages an input touches again). */
#define ZERO_DIRECT 16u
#define ZERO_MEMSET_MAX 64u

#define FZ_NOCOV __attribute__((noinline, no_sanitize("coverage")))

struct ext {
  uintptr_t a;
  size_t len;
  unsigned cls; /* its slot: size class and index (FZ_EACSL_ZONE: */
  size_t idx;   /* length in pages and first page of its run) */
};

/* Page states of the map zone: real protection (bits 0-1), logical
 * protection (bits 2-3), stale contents (bit 4). */
enum { P_NONE = 0, P_READ = 1, P_RW = 2 };
#define REAL(s) ((s) & 3u)
#define LOGICAL(s) ((s) >> 2 & 3u)
#define STALE 16u
#define STATE(real, logical) ((uint8_t)((real) | (logical) << 2))

static struct {
  uintptr_t base; /* the zone actually obtained */
  struct {
    size_t nslots;    /* 0: free; else the reservation's length in slots */
    size_t committed; /* bytes, for the budget */
    int touched;      /* something was committed since the reservation */
  } seg[FZ_SEG_SLOTS];
  struct ext maps[MAX_MAPS]; /* live mappings (guard page not included) */
  size_t nmaps;
#ifndef FZ_EACSL_ZONE
  uint64_t slots[FZ_MAP_CLASSES][MAX_SLOTS / 64]; /* slots in use */
#else
  uint64_t slots[MAP_PAGES / 64]; /* pages of the map zone in a run */
#endif
  unsigned long zone_full; /* requests refused for lack of room */
  size_t used, budget;
  unsigned long fail_at;
  unsigned long give_back_fail_at, give_backs; /* purge, decommit */
  uint8_t pg[MAP_PAGES]; /* page states of the map zone */
} S;

struct fz_stats fz_src_stats;

static const int mprot[3] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};

static uintptr_t seg_base(void) { return S.base; }
static uintptr_t map_base(void) { return S.base + FZ_SEG_SLOTS * FZ_SEG_SLOT; }
static size_t pgno(uintptr_t a) { return (a - map_base()) / FZ_PAGE; }
static uintptr_t pgaddr(size_t i) { return map_base() + i * FZ_PAGE; }
static int in_map_zone(uintptr_t a, size_t len) {
  return a >= map_base() && a - map_base() < FZ_MAP_ZONE &&
         len <= FZ_MAP_ZONE - (a - map_base());
}

static void prot(uintptr_t a, size_t len, int p) {
  if (len && mprotect((void *)a, len, mprot[p]) != 0)
    fz_finding("HARNESS", "mprotect(%#lx, %zu) failed: errno %d",
               (unsigned long)a, len, errno);
}

static void drop(uintptr_t a, size_t len) {
  if (len)
    madvise((void *)a, len, MADV_DONTNEED);
}

/* ------------------------------------------------------------ zeroing */

/* Zero [a, a+len) of a segment, which is read-write: see ZERO_DIRECT. */
FZ_NOCOV static void zero(uintptr_t a, size_t len) {
  static unsigned char vec[FZ_SEG_SLOT / FZ_PAGE];
  size_t n = len / FZ_PAGE;
  if (n <= ZERO_DIRECT) {
    memset((void *)a, 0, len);
    return;
  }
  while (len) {
    size_t k = len < FZ_SEG_SLOT ? len : FZ_SEG_SLOT, r = 0;
    if (mincore((void *)a, k, vec) != 0) {
      drop(a, k);
    } else {
      for (size_t p = 0; p < k / FZ_PAGE; p++)
        r += vec[p] & 1;
      if (r > ZERO_MEMSET_MAX) {
        drop(a, k);
      } else if (r) {
        for (size_t p = 0; p < k / FZ_PAGE; p++)
          if (vec[p] & 1)
            memset((void *)(a + p * FZ_PAGE), 0, FZ_PAGE);
      }
    }
    a += k;
    len -= k;
  }
}

/* ------------------------------------------------ map-zone protections */

/* Set the real protection of pages [i, j) to p, zeroing stale pages on
 * the way up (they need to be writable for that). One mprotect per run
 * of pages that need the same change. */
FZ_NOCOV static void set_real(size_t i, size_t j, int p) {
  while (i < j) {
    uint8_t s = S.pg[i];
    if (REAL(s) == (unsigned)p && !(s & STALE && p != P_NONE)) {
      i++;
      continue;
    }
    int stale = s & STALE && p != P_NONE;
    size_t k = i + 1;
    while (k < j && REAL(S.pg[k]) == REAL(s) &&
           !!(S.pg[k] & STALE && p != P_NONE) == stale)
      k++;
    if (stale) {
      if (REAL(s) != P_RW)
        prot(pgaddr(i), (k - i) * FZ_PAGE, P_RW);
      memset((void *)pgaddr(i), 0, (k - i) * FZ_PAGE);
      if (p != P_RW)
        prot(pgaddr(i), (k - i) * FZ_PAGE, p);
    } else {
      prot(pgaddr(i), (k - i) * FZ_PAGE, p);
    }
    /* Stale pages made inaccessible stay stale; the others are zero. */
    for (size_t m = i; m < k; m++)
      S.pg[m] = (uint8_t)((S.pg[m] & ~(3u | (p != P_NONE ? STALE : 0))) |
                          (unsigned)p);
    i = k;
  }
}

/* A fresh mapping [a, a+len): logically read-write; real read-write now,
 * except its first and last page when they are inaccessible (lazy: see
 * the top of this file). A read-only page is raised now: a read would
 * not fault, and it must read as zero. */
FZ_NOCOV static void map_pages(uintptr_t a, size_t len) {
  size_t i = pgno(a), j = pgno(a + len);
  for (size_t m = i; m < j; m++)
    S.pg[m] = (uint8_t)((S.pg[m] & (3u | STALE)) | P_RW << 2);
  if (j - i > 2)
    set_real(i + 1, j - 1, P_RW);
  if (REAL(S.pg[i]) == P_READ)
    set_real(i, i + 1, P_RW);
  if (j - 1 > i && REAL(S.pg[j - 1]) == P_READ)
    set_real(j - 1, j, P_RW);
}

/* Pages [i, j) of the map zone become free memory (logically
 * read-write) that must read as zero when it is next handed out: memset
 * the read-write ones, mark the others stale (zeroed when raised). */
FZ_NOCOV static void free_pages(size_t i, size_t j) {
  for (size_t m = i; m < j;) {
    size_t k = m + 1;
    int w = REAL(S.pg[m]) == P_RW;
    while (k < j && (REAL(S.pg[k]) == P_RW) == w)
      k++;
    if (w)
      memset((void *)pgaddr(m), 0, (k - m) * FZ_PAGE);
    for (size_t x = m; x < k; x++)
      S.pg[x] = (uint8_t)((S.pg[x] & ~(3u << 2)) | P_RW << 2 |
                          (w ? 0u : STALE));
    m = k;
  }
}

/* [a, a+len) leaves a mapping. A small one is zeroed page by page. A
 * large one has its first and last MAP_EDGE pages zeroed that way (the
 * header, the canary, the model's windows: what is written in most
 * inputs) and its interior given back with one madvise, which costs
 * little when few of its pages were touched: asking mincore which pages
 * are resident costs about 16 ns per page of a sparse range here (65 us
 * for 16 MiB), more than faulting the few touched pages in again. */
#define MAP_EDGE 4u
FZ_NOCOV static void unmap_pages(uintptr_t a, size_t len) {
  size_t i = pgno(a), j = pgno(a + len);
  if (j - i <= ZERO_DIRECT + 2 * MAP_EDGE) {
    free_pages(i, j);
    return;
  }
  free_pages(i, i + MAP_EDGE);
  free_pages(j - MAP_EDGE, j);
  drop(pgaddr(i + MAP_EDGE), (j - i - 2 * MAP_EDGE) * FZ_PAGE);
  for (size_t m = i + MAP_EDGE; m < j - MAP_EDGE; m++)
    S.pg[m] = (uint8_t)((S.pg[m] & 3u) | P_RW << 2); /* zero now */
}

/* The allocator's protect on [a, a+len) of a mapping. */
FZ_NOCOV static void protect_pages(uintptr_t a, size_t len, int p) {
  size_t i = pgno(a), j = pgno(a + len);
  for (size_t m = i; m < j; m++)
    S.pg[m] = (uint8_t)((S.pg[m] & (3u | STALE)) | (unsigned)p << 2);
  set_real(i, j, p);
}

/* Real protection of [a, a+len) up to its logical one (before a copy or
 * a move). */
FZ_NOCOV static void raise_pages(uintptr_t a, size_t len) {
  for (size_t m = pgno(a), j = pgno(a + len); m < j;) {
    unsigned l = LOGICAL(S.pg[m]);
    size_t k = m + 1;
    while (k < j && LOGICAL(S.pg[k]) == l)
      k++;
    set_real(m, k, (int)l);
    m = k;
  }
}

static struct sigaction prev_segv;
static int handler_on;

FZ_NOCOV static void on_segv(int sig, siginfo_t *si, void *uc) {
  uintptr_t a = (uintptr_t)si->si_addr;
  if (S.base && in_map_zone(a, 1)) {
    size_t i = pgno(a);
    uint8_t s = S.pg[i];
    if (REAL(s) < LOGICAL(s)) {
      set_real(i, i + 1, (int)LOGICAL(s));
      return; /* the access runs again */
    }
  }
  /* A real fault: whoever was there before decides. */
  if (prev_segv.sa_flags & SA_SIGINFO) {
    if (prev_segv.sa_sigaction) {
      prev_segv.sa_sigaction(sig, si, uc);
      return;
    }
  } else if (prev_segv.sa_handler != SIG_DFL &&
             prev_segv.sa_handler != SIG_IGN) {
    prev_segv.sa_handler(sig);
    return;
  }
  signal(SIGSEGV, SIG_DFL); /* the access faults again and kills */
}

/* Install on_segv once, after the fuzzing engine installed its handler
 * (libFuzzer does so after LLVMFuzzerInitialize, before the first input). */
FZ_NOCOV static void install_handler(void) {
  if (handler_on)
    return;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, &prev_segv) != 0) {
    fprintf(stderr, "bonbon-fuzz: cannot install the SIGSEGV handler\n");
    abort();
  }
  handler_on = 1;
}

/* ------------------------------------------------------------ requests */

/* The injected failure of a purge or decommit: the give_back_fail_at-th
 * one (the heap keeps the memory; no request is refused, so no NULL is
 * allowed by it). */
static int give_back_fails(void) {
  return S.give_back_fail_at && ++S.give_backs == S.give_back_fail_at;
}

/* The injected failure: the fail_at-th request. */
static int inject(void) {
  unsigned long n = ++fz_src_stats.calls;
  if (S.fail_at && n == S.fail_at) {
    fz_src_stats.refusals++;
    return 1;
  }
  return 0;
}

/* A request for `len` more bytes: refused past the budget or when it is
 * the injected failure. */
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
  if (inject())
    return NULL;
  size_t n = (len + FZ_SEG_SLOT - 1) / FZ_SEG_SLOT;
  size_t step = align > FZ_SEG_SLOT ? align / FZ_SEG_SLOT : 1;
  for (size_t i = 0; i + n <= FZ_SEG_SLOTS; i += step) {
    size_t j = 0;
    while (j < n && S.seg[i + j].nslots == 0)
      j++;
    if (j == n) {
      S.seg[i].nslots = n;
      S.seg[i].committed = 0;
      S.seg[i].touched = 0;
      for (j = 1; j < n; j++)
        S.seg[i + j].nslots = (size_t)-1; /* covered, not a start */
      return (void *)(seg_base() + i * FZ_SEG_SLOT);
    }
  }
  fz_src_stats.refusals++;
  S.zone_full++;
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
  prot((uintptr_t)addr, len, P_RW);
  zero((uintptr_t)addr, len); /* it may hold an earlier input's data */
  S.seg[i].touched = 1;
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
  if (give_back_fails())
    return -1;
  prot((uintptr_t)addr, len, P_NONE); /* commit zeroes it again */
  S.seg[i].committed -= len;
  S.used -= len;
  return 0;
}

static void seg_free(size_t i) {
  uintptr_t a = seg_base() + i * FZ_SEG_SLOT;
  size_t n = S.seg[i].nslots;
  if (S.seg[i].touched) /* else it is inaccessible already */
    prot(a, n * FZ_SEG_SLOT, P_NONE); /* commit zeroes it again */
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
  if (give_back_fails())
    return -1;
  zero((uintptr_t)addr, len);
  return 0;
}

/* ------------------------------------------------------------ mappings */

#ifndef FZ_EACSL_ZONE
/* The map zone is one FZ_MAP_REGION per size class: class c (1 to
 * FZ_MAP_CLASSES) holds mappings of up to 2^c - 2 pages, one per slot of
 * 2^c pages, one page into the slot (with at least one gap page after).
 * So a mapping of the same size lands at the same address input after
 * input (lowest free slot first), and its guard pages stay protected from
 * one input to the next (see the top of this file).
 * Why one page in: the slot's start is aligned to its size, and
 * memalign(A) of a mapped chunk maps 2A + n bytes, puts the block at the
 * first A-aligned address at least A past the start, and fills the rest
 * with its canary: a mapping that starts A-aligned gets A bytes of canary
 * (16384 pages for A = 64 MiB), one that starts a page past an
 * A-aligned address gets one page. */
static unsigned map_class(size_t len) {
  size_t pages = len / FZ_PAGE + 2; /* the page before, the gap page */
  unsigned c = 1;
  while (c <= FZ_MAP_CLASSES && ((size_t)1 << c) < pages)
    c++;
  return c; /* FZ_MAP_CLASSES + 1: too large for any class */
}

static size_t slot_bytes(unsigned c) { return ((size_t)1 << c) * FZ_PAGE; }

static uintptr_t slot_base(unsigned c, size_t idx) {
  return map_base() + (c - 1) * FZ_MAP_REGION + idx * slot_bytes(c);
}

/* A slot for `len` bytes: records its class and index in *m and returns
 * the mapping's address, or 0 when the class is full or len too large. */
static uintptr_t slot_take(size_t len, struct ext *m) {
  unsigned c = map_class(len);
  if (c > FZ_MAP_CLASSES)
    return 0;
  size_t n = FZ_MAP_REGION / slot_bytes(c);
  for (size_t w = 0; w * 64 < n; w++) {
    uint64_t used = S.slots[c - 1][w];
    if (used == ~(uint64_t)0)
      continue;
    size_t idx = w * 64 + (size_t)__builtin_ctzll(~used);
    if (idx >= n)
      return 0;
    S.slots[c - 1][w] |= (uint64_t)1 << (idx % 64);
    m->cls = c;
    m->idx = idx;
    return slot_base(c, idx) + FZ_PAGE;
  }
  return 0;
}

static void slot_give(const struct ext *m) {
  S.slots[m->cls - 1][m->idx / 64] &= ~((uint64_t)1 << (m->idx % 64));
}
#else
/* The E-ACSL map zone: a run of pages per mapping, the first free run
 * that fits (lowest first: the same input gets the same addresses every
 * time in a process; the array, and so the zone, moves from process to
 * process), with one free page before the mapping and one after, as in a
 * slot. */
static int run_used(size_t p) { return S.slots[p / 64] >> (p % 64) & 1; }

static void run_mark(size_t p, size_t n, int on) {
  for (size_t i = p; i < p + n; i++)
    if (on)
      S.slots[i / 64] |= (uint64_t)1 << (i % 64);
    else
      S.slots[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static uintptr_t slot_take(size_t len, struct ext *m) {
  size_t n = len / FZ_PAGE + 2;
  for (size_t p = 0; n <= MAP_PAGES && p <= MAP_PAGES - n;) {
    if (p % 64 == 0 && S.slots[p / 64] == ~(uint64_t)0) {
      p += 64;
      continue;
    }
    size_t i = 0;
    while (i < n && !run_used(p + i))
      i++;
    if (i == n) {
      run_mark(p, n, 1);
      m->cls = (unsigned)n;
      m->idx = p;
      return pgaddr(p) + FZ_PAGE;
    }
    p += i + 1;
  }
  return 0;
}

static void slot_give(const struct ext *m) { run_mark(m->idx, m->cls, 0); }
#endif

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
  struct ext *m = &S.maps[S.nmaps];
  uintptr_t a = S.nmaps < MAX_MAPS ? slot_take(len, m) : 0;
  if (!a) {
    fz_src_stats.refusals++;
    S.zone_full++;
    return NULL;
  }
  m->a = a;
  m->len = len;
  S.nmaps++;
  S.used += len;
  map_pages(a, len);
  return (void *)a;
}

static void map_drop(size_t i) {
  uintptr_t a = S.maps[i].a;
  size_t len = S.maps[i].len;
  unmap_pages(a, len);
  S.used -= len;
  slot_give(&S.maps[i]);
  S.maps[i] = S.maps[--S.nmaps];
}

static void src_unmap(void *ctx, void *addr, size_t len) {
  (void)ctx;
  long i = map_find((uintptr_t)addr);
  if (i < 0 || S.maps[i].len != len)
    fz_finding("SOURCE-CONTRACT", "unmap(%p, %zu) of no mapping", addr, len);
  map_drop((size_t)i);
}

/* Copy the resident pages of [a, a+len) to b (free memory, zero), then
 * zero the source: the pages that are not resident read as zero on both
 * sides already. The destination is raised first. */
FZ_NOCOV static void move_pages(uintptr_t a, uintptr_t b, size_t len) {
  static unsigned char vec[FZ_MAP_ZONE / FZ_PAGE / 64];
  raise_pages(b, len);
  for (size_t off = 0; off < len;) {
    size_t k = len - off < sizeof vec * FZ_PAGE ? len - off
                                                 : sizeof vec * FZ_PAGE;
    if (mincore((void *)(a + off), k, vec) != 0) {
      memcpy((void *)(b + off), (void *)(a + off), k);
    } else {
      for (size_t p = 0; p < k / FZ_PAGE; p++)
        if (vec[p] & 1)
          memcpy((void *)(b + off + p * FZ_PAGE),
                 (void *)(a + off + p * FZ_PAGE), FZ_PAGE);
    }
    off += k;
  }
}

/* Move the pages of mapping [a, a+len) to b (a fresh mapping): with
 * mremap (no copy) when the kernel can move them as one piece, then plug
 * the hole with fresh zero pages; else copy the resident ones. */
FZ_NOCOV static void remap_move(uintptr_t a, uintptr_t b, size_t len) {
  void *m = mremap((void *)a, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
                   (void *)b);
  if (m == MAP_FAILED) { /* several mappings in the kernel's view */
    move_pages(a, b, len);
    unmap_pages(a, len);
    return;
  }
  if (mmap((void *)a, len, PROT_READ | PROT_WRITE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
           0) == MAP_FAILED)
    fz_finding("HARNESS", "mmap plug failed: errno %d", errno);
  for (size_t i = pgno(a), j = pgno(a + len); i < j; i++)
    S.pg[i] = STATE(P_RW, P_RW);
  for (size_t i = pgno(b), j = pgno(b + len); i < j; i++)
    S.pg[i] = STATE(P_RW, P_RW); /* the moved pages, raised before */
}

/* Grow: move the mapping's pages with mremap (no copy) when it can move
 * them as they are, else copy its resident pages; the rest of the new
 * range is free memory, zero already. Shrinking stays in place. */
static void *src_remap(void *ctx, void *addr, size_t old_len,
                       size_t new_len) {
  (void)ctx;
  long i = map_find((uintptr_t)addr);
  if (i < 0 || S.maps[i].len != old_len || new_len == 0 || new_len % FZ_PAGE)
    fz_finding("SOURCE-CONTRACT", "remap(%p, %zu, %zu)", addr, old_len,
               new_len);
  uintptr_t a = (uintptr_t)addr;
  raise_pages(a, old_len); /* one protection, as a copy or mremap needs */
  if (new_len <= old_len) {
    unmap_pages(a + new_len, old_len - new_len);
    S.maps[i].len = new_len; /* it keeps its slot */
    S.used -= old_len - new_len;
    return addr;
  }
  if (!grant(new_len - old_len))
    return NULL;
  struct ext nm;
  uintptr_t b = slot_take(new_len, &nm);
  if (!b) {
    fz_src_stats.refusals++;
    S.zone_full++;
    return NULL;
  }
  map_pages(b, new_len);
  remap_move(a, b, old_len);
  slot_give(&S.maps[i]);
  S.maps[i].cls = nm.cls;
  S.maps[i].idx = nm.idx;
  S.maps[i].a = b;
  S.maps[i].len = new_len;
  S.used += new_len - old_len;
  return (void *)b;
}

static int src_protect(void *ctx, void *addr, size_t len, int p) {
  (void)ctx;
  if (p < 0 || p > 2 || !page_ok((uintptr_t)addr, len))
    fz_finding("SOURCE-CONTRACT", "protect(%p, %zu, %d)", addr, len, p);
  uintptr_t a = (uintptr_t)addr;
  int in = seg_find(a, len) >= 0, map = 0;
  for (size_t i = 0; i < S.nmaps && !in; i++)
    if (a >= S.maps[i].a && a < S.maps[i].a + S.maps[i].len &&
        len <= S.maps[i].a + S.maps[i].len - a)
      in = map = 1;
  if (!in)
    fz_finding("SOURCE-CONTRACT", "protect(%p, %zu) of memory it does not "
               "own", addr, len);
  if (inject())
    return -1;
  if (map)
    protect_pages(a, len, p);
  else
    prot(a, len, p);
  return 0;
}

static const bb_source sources[4] = {
    {src_reserve, src_commit, src_decommit, src_release, src_map, src_remap,
     src_unmap, src_protect, src_purge, NULL},
    {src_reserve, src_commit, src_decommit, src_release, src_map, src_remap,
     src_unmap, src_protect, NULL, NULL},
    {src_reserve, src_commit, src_decommit, src_release, src_map, src_remap,
     src_unmap, NULL, src_purge, NULL},
    {src_reserve, src_commit, src_decommit, src_release, src_map, src_remap,
     src_unmap, NULL, NULL, NULL},
};
const bb_source *fz_source = &sources[0];

const bb_source *fz_source_variant(unsigned flags) { return &sources[flags & 3]; }

/* ---------------------------------------------------------- lifecycle */

void fz_source_init(void) {
  if (S.base)
    return;
#ifdef FZ_EACSL_ZONE
  /* bb_vheap is read-write .bss: the segment zone becomes inaccessible,
   * as if just reserved; mprotect and madvise work there as on a
   * mapping. The heap's word space is bb_vheap (chunk.h). */
  bb_vbase = (uintptr_t)bb_vheap / 8;
  S.base = ((uintptr_t)bb_vheap + FZ_SEG_SLOT - 1) / FZ_SEG_SLOT * FZ_SEG_SLOT;
  madvise((void *)S.base, ZONE_LEN, MADV_NOHUGEPAGE);
  prot(seg_base(), FZ_SEG_SLOTS * FZ_SEG_SLOT, P_NONE);
#else
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
  /* Small pages: a huge page would make every first touch clear 2 MiB. */
  madvise(p, ZONE_LEN, MADV_NOHUGEPAGE);
  prot(map_base(), FZ_MAP_ZONE + FZ_HARNESS_ZONE, P_RW);
#endif
  memset(S.pg, STATE(P_RW, P_RW), sizeof S.pg);
  fz_source_reset();
}

void fz_source_reset(void) {
  for (size_t i = 0; i < FZ_SEG_SLOTS; i++)
    if (S.seg[i].nslots != 0 && S.seg[i].nslots != (size_t)-1)
      seg_free(i);
  while (S.nmaps)
    map_drop(S.nmaps - 1);
  memset(S.slots, 0, sizeof S.slots);
  S.used = 0;
}

/* Pages stay resident from input to input; every 1024 inputs, when the
 * process holds more than RSS_VALVE bytes, give the whole zone back. */
#define RSS_VALVE ((size_t)768 << 20)

FZ_NOCOV static void rss_valve(void) {
  static unsigned long n;
  if (++n % 1024 != 0 || fz_source_live())
    return;
  unsigned long size = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (!f)
    return;
  int ok = fscanf(f, "%lu %lu", &size, &resident) == 2;
  fclose(f);
  if (!ok || resident * FZ_PAGE <= RSS_VALVE)
    return;
  drop(S.base, ZONE_LEN - FZ_HARNESS_ZONE);
  for (size_t i = 0; i < MAP_PAGES; i++)
    S.pg[i] &= (uint8_t)~STALE; /* all zero now */
}

void fz_source_begin(size_t budget, unsigned long fail_at) {
  install_handler();
  rss_valve();
  S.budget = budget;
  S.fail_at = fail_at;
  S.give_back_fail_at = 0;
  S.give_backs = 0;
  fz_src_stats.calls = 0;
  fz_src_stats.refusals = 0;
}

void fz_source_fail_give_back(unsigned long n) { S.give_back_fail_at = n; }

unsigned long fz_source_zone_full(void) { return S.zone_full; }

size_t fz_source_live(void) {
  size_t n = S.nmaps;
  for (size_t i = 0; i < FZ_SEG_SLOTS; i++)
    n += S.seg[i].nslots != 0 && S.seg[i].nslots != (size_t)-1;
  return n;
}

void *fz_harness_zone(void) {
  return (void *)(S.base + ZONE_LEN - FZ_HARNESS_ZONE);
}

/* fz_model.c: the checked operations and the model (see fz_model.h).
 *
 * The process-wide entry points (bb_malloc, bb_posix_memalign,
 * bb_aligned_alloc, bb_valloc, ...) run on the input's own heap: the
 * harness points the calling thread's context (bb_tls_ctx, internal) at
 * the instance's context, so they are as deterministic as the rest.
 *
 * Oracle self-test: FZ_SHIM=N in the environment makes the wrappers below
 * behave like an allocator with bug N at the API boundary (a spurious
 * NULL, a misaligned pointer, a short usable size, ...). Each shim must
 * make its check fire; fuzz/mutation_check.sh runs them all. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "fz_model.h"
#include "internal.h"

struct fz_model fz_m;
static int shim;
/* FZ_AVOID_KNOWN=1: do not trigger allocator bugs that are already
 * reported and kept in corpus/regressions/ (see README.md there), so that
 * campaigns and the mutation check can look for other bugs meanwhile. */
static int avoid_known;

const char *const fz_op_names[FZ_NOPS] = {
    "malloc",  "calloc",        "realloc", "free",     "memalign",
    "posix_memalign", "aligned_alloc", "usable", "verify", "refill",
    "check",   "burst",         "free_range", "trim",  "realloc_edge",
    "proc",    "stats",         "is_empty", "free_sized", "move",
    "process", "nop"};

#define S fz_m.s
#define H fz_m.h

static const size_t calloc_counts[8] = {
    1, 2, 3, 7, 16, 33, (size_t)1 << 32, SIZE_MAX / 2 + 1};

static const size_t aligns[32] = {
    0,     1,       2,       4,       8,       16,      24,      32,
    48,    64,      96,      128,     256,     1000,    1024,    4096,
    4097,  8192,    65536,   1u << 20, 1u << 21, 1u << 24, 1u << 26,
    (size_t)1 << 27, (size_t)1 << 30, (size_t)1 << 36, (size_t)1 << 40,
    (size_t)1 << 62, (size_t)1 << 63, ((size_t)1 << 63) + 1, SIZE_MAX, 3};

/* ------------------------------------------------------------- setup */

void fz_model_init(void) {
  uint8_t *z = fz_harness_zone();
  fz_m.s = (struct fz_slot *)z;
  fz_m.cont = (uintptr_t *)(z + 16384);
  fz_m.buf = z + 32768;
  static uintptr_t cont_sh[FZ_SLOTS];
  static uint8_t buf_sh[FZ_BUF];
  fz_m.cont_sh = cont_sh;
  fz_m.buf_sh = buf_sh;
  const char *e = getenv("FZ_SHIM");
  shim = e ? atoi(e) : 0;
  e = getenv("FZ_AVOID_KNOWN");
  avoid_known = e && *e && *e != '0';
}

void fz_model_begin(bb_heap *h, int attack) {
  fz_m.h = h;
  memset(fz_m.s, 0, FZ_SLOTS * sizeof *fz_m.s);
  memset(fz_m.cont, 0, FZ_SLOTS * sizeof *fz_m.cont);
  memset(fz_m.cont_sh, 0, FZ_SLOTS * sizeof *fz_m.cont_sh);
  for (unsigned i = 0; i < FZ_BUF; i++)
    fz_m.buf[i] = fz_m.buf_sh[i] = (uint8_t)(i * 7 + 1);
  fz_m.nextseed = 1;
  fz_m.nlive = 0;
  fz_m.attack = attack;
  fz_m.attacked = 0;
  /* The process-wide names act on this heap. */
  bb_tls_ctx = &((struct bb_heap *)h)->ictx;
}

/* ------------------------------------------------------------ windows */

static size_t head_len(const struct fz_slot *s) {
  return s->ext < FZ_WIN ? s->ext : FZ_WIN;
}
static size_t tail_start(const struct fz_slot *s) {
  size_t h = head_len(s);
  return s->ext > h + FZ_WIN ? s->ext - FZ_WIN : h;
}
/* Byte i of the block is in a window; *bit is its taint bit. */
static int in_window(const struct fz_slot *s, size_t i, unsigned *w,
                     unsigned *bit) {
  if (i < head_len(s)) {
    *w = 0;
    *bit = (unsigned)i;
    return 1;
  }
  size_t t = tail_start(s);
  if (i >= t && i < s->ext) {
    *w = 1;
    *bit = (unsigned)(i - t);
    return 1;
  }
  return 0;
}

static void fill(struct fz_slot *s) {
  size_t h = head_len(s), t = tail_start(s);
  for (size_t i = 0; i < h; i++)
    s->want[0][i] = fz_pat(s->seed, i);
  for (size_t i = t; i < s->ext; i++)
    s->want[1][i - t] = fz_pat(s->seed, i);
  memcpy(s->p, s->want[0], h);
  memcpy(s->p + t, s->want[1], s->ext - t);
  s->taint[0] = s->taint[1] = 0;
}

static int tainted(const struct fz_slot *s, size_t i) {
  unsigned w, b;
  return in_window(s, i, &w, &b) && (s->taint[w] >> b & 1);
}

/* The first byte of the windows (below `limit`) that differs, or -1.
 * memcmp first: the byte loop only runs when something differs. */
static long first_bad(const struct fz_slot *s, const uint8_t *p,
                      size_t limit) {
  size_t h = head_len(s), t = tail_start(s);
  if (limit >= s->ext && !memcmp(p, s->want[0], h) &&
      !memcmp(p + t, s->want[1], s->ext - t))
    return -1;
  for (size_t i = 0; i < h && i < limit; i++)
    if (p[i] != s->want[0][i] && !tainted(s, i))
      return (long)i;
  for (size_t i = t; i < s->ext && i < limit; i++)
    if (p[i] != s->want[1][i - t] && !tainted(s, i))
      return (long)i;
  return -1;
}

void fz_check_slot(unsigned i, const char *when) {
  struct fz_slot *s = &S[i];
  if (!s->p)
    return;
  if (fz_m.attacked && !bb_heap_owns(H, s->p, s->ext ? s->ext : 1))
    fz_finding("LIVE-CLOBBER", "slot %u block %p (%zu bytes) no longer in "
               "the heap (%s)", i, (void *)s->p, s->ext, when);
  long b = first_bad(s, s->p, SIZE_MAX);
  if (b >= 0)
    fz_finding(fz_m.attacked ? "LIVE-CLOBBER" : "CONTENT",
               "slot %u block %p req %zu: byte %ld is %#x, expected %#x (%s)",
               i, (void *)s->p, s->req, b, s->p[b], fz_pat(s->seed, (size_t)b),
               when);
}

void fz_check_all(const char *when) {
  for (unsigned i = 0; i < FZ_SLOTS; i++)
    fz_check_slot(i, when);
}

void fz_check_heap(const char *when) {
  bb_check_report r;
  /* After an attack the checker must still run without faulting, but the
   * corruption it reports is the attacker's. */
  if (bb_heap_check(H, &r) != 0 && !fz_m.attacked)
    fz_finding("HEAP-CHECK", "%s at %p: %s (%s)", r.invariant, r.addr,
               r.detail, when);
}

void fz_check_harness(void) {
  if (memcmp(fz_m.cont, fz_m.cont_sh, FZ_SLOTS * sizeof *fz_m.cont))
    fz_finding("HARNESS-WRITE", "the allocator wrote into the container");
  if (memcmp(fz_m.buf, fz_m.buf_sh, FZ_BUF))
    fz_finding("HARNESS-WRITE", "the allocator wrote into the buffer");
}

void fz_taint(uintptr_t a, size_t n) {
  for (unsigned i = 0; i < FZ_SLOTS; i++) {
    struct fz_slot *s = &S[i];
    uintptr_t p = (uintptr_t)s->p;
    if (!p || a >= p + s->ext || a + n <= p)
      continue;
    for (uintptr_t x = a < p ? p : a; x < a + n && x < p + s->ext; x++) {
      unsigned w, b;
      if (in_window(s, x - p, &w, &b))
        s->taint[w] |= (uint64_t)1 << b;
    }
  }
}

int fz_slot_at(const void *p) {
  for (unsigned i = 0; i < FZ_SLOTS; i++)
    if (S[i].p && S[i].p == p)
      return (int)i;
  return -1;
}

int fz_window_at(uintptr_t a) {
  for (unsigned i = 0; i < FZ_SLOTS; i++) {
    uintptr_t p = (uintptr_t)S[i].p;
    unsigned w, b;
    if (p && a >= p && a < p + S[i].ext && in_window(&S[i], a - p, &w, &b))
      return (int)i;
  }
  return -1;
}

/* -------------------------------------------------------- call checks */

static void begin_call(void) {
  fz_m.r0 = fz_src_stats.refusals;
  errno = 0;
}
static int refused(void) { return fz_src_stats.refusals != fz_m.r0; }

static void after_call(void) {
  if (fz_m.attacked) {
    fz_check_harness();
    fz_check_all("after a call");
  }
}

/* After a realloc of slot i: i's old block is the call's to change. */
static void after_realloc(unsigned i) {
  uint8_t *p = S[i].p;
  S[i].p = NULL;
  after_call();
  S[i].p = p;
}

/* A call returned NULL (or failed). must: the model requires failure;
 * want: the errno required (0: errno must be unchanged). */
static int huge(size_t n, size_t align) {
  return align > PTRDIFF_MAX / 2 || n > PTRDIFF_MAX - align - 2 * FZ_PAGE;
}

static void failed(const char *what, size_t n, int must, int want) {
  if (!must && !refused() && !huge(n, 0))
    fz_finding("NULL-RESULT", "%s(%zu) failed although memory was "
               "available", what, n);
  if (errno != want)
    fz_finding("ERRNO", "%s(%zu) failed with errno %d, expected %d", what, n,
               errno, want);
  if (fz_trace)
    fz_tracef("  -> NULL (errno %d%s)\n", errno, refused() ? ", refused" : "");
}

static void set_slot(unsigned i, uint8_t *p) {
  S[i].p = p;
  fz_m.cont[i] = fz_m.cont_sh[i] = (uintptr_t)p;
}

/* A new block q for slot i (empty), requested n bytes aligned to `align`:
 * check it against every live block, then fill its windows. seed 0 means
 * a fresh seed. */
static void new_block(unsigned i, uint8_t *q, size_t n, size_t align,
                      int zero, uint32_t seed, const char *what) {
  size_t a = align > BB_ALIGN ? align : BB_ALIGN;
  if ((uintptr_t)q % a)
    fz_finding("ALIGNMENT", "%s(%zu) returned %p, not aligned to %zu", what,
               n, (void *)q, a);
  uintptr_t hz = (uintptr_t)fz_harness_zone();
  if (!bb_heap_owns(H, q, n ? n : 1) ||
      ((uintptr_t)q < hz + FZ_HARNESS_ZONE && (uintptr_t)q + n > hz))
    fz_finding("OUTSIDE-HEAP", "%s(%zu) returned %p, outside the heap", what,
               n, (void *)q);
  size_t u = bb_heap_usable_size(H, q);
  if (shim == 4 && u >= 24)
    u -= 24;
  if (u < n || u - n > a + FZ_PAGE + 64)
    fz_finding("USABLE-SIZE", "%s(%zu) returned %p with usable size %zu",
               what, n, (void *)q, u);
  if (!bb_heap_owns(H, q, u))
    fz_finding("OUTSIDE-HEAP", "%s(%zu) returned %p, usable %zu outside the "
               "heap", what, n, (void *)q, u);
  for (unsigned j = 0; j < FZ_SLOTS; j++) {
    const struct fz_slot *o = &S[j];
    if (o->p && q < o->p + o->usable && o->p < q + u)
      fz_finding("OVERLAP", "%s(%zu) returned [%p, +%zu), which meets slot "
                 "%u [%p, +%zu)", what, n, (void *)q, u, j, (void *)o->p,
                 o->usable);
  }
  struct fz_slot *s = &S[i];
  memset(s, 0, sizeof *s);
  s->req = n;
  s->usable = u;
  s->ext = n;
  s->align = a;
  s->seed = seed ? seed : fz_m.nextseed++ * 0x9e3779b9u;
  set_slot(i, q);
  if (zero) {
    size_t h = head_len(s), t = tail_start(s);
    for (size_t k = 0; k < n; k = k + 1 == h ? t : k + 1)
      if (q[k] != 0)
        fz_finding("CALLOC-ZERO", "%s(%zu) = %p: byte %zu is %#x", what, n,
                   (void *)q, k, q[k]);
  }
  fill(s);
  fz_m.nlive++;
  if (fz_trace)
    fz_tracef("  -> slot %u = %p req %zu usable %zu\n", i, (void *)q, n, u);
}

static void drop_slot(unsigned i) {
  struct fz_slot *s = &S[i];
  s->dead = s->p;
  set_slot(i, NULL);
  fz_m.nlive--;
}

void fz_forget_slot(unsigned i) {
  if (S[i].p)
    drop_slot(i);
}

void fz_free_slot(unsigned i) {
  struct fz_slot *s = &S[i];
  if (!s->p)
    return;
  fz_check_slot(i, "before free");
  uint8_t *p = s->p;
  size_t req = s->req;
  drop_slot(i);
  if (shim == 11 && req == 100)
    return; /* the simulated allocator leaks it */
  begin_call();
  bb_heap_free(H, p);
  if (shim == 10 && req >= 200 && req < 1000) {
    p[0] ^= 1; /* simulated stray write into a free chunk, */
    fz_check_heap("shim"); /* seen by the checker before any reuse */
  }
  after_call();
}

/* --------------------------------------------------------- operations */

static void op_malloc(unsigned i, size_t n) {
  fz_free_slot(i);
  begin_call();
  uint8_t *q;
  if (shim == 1 && n == 1000) {
    q = NULL; /* simulated spurious failure */
    errno = ENOMEM;
  } else if (shim == 5 && n == 24 && fz_m.nlive) {
    q = NULL; /* simulated double hand-out of a block of a fitting size */
    for (unsigned j = 0; j < FZ_SLOTS && !q; j++)
      if (S[j].p && S[j].usable >= n && S[j].usable <= n + FZ_PAGE)
        q = S[j].p;
    if (!q)
      q = bb_heap_malloc(H, n);
  } else if (shim == 6 && n == 48) {
    static _Alignas(64) uint8_t outside[64];
    q = outside;
  } else if (shim == 14 && n > PTRDIFF_MAX) {
    q = bb_heap_malloc(H, 16);
  } else {
    q = bb_heap_malloc(H, n);
  }
  after_call();
  if (!q)
    return failed("malloc", n, n > PTRDIFF_MAX, ENOMEM);
  if (n > PTRDIFF_MAX)
    fz_finding("NULL-RESULT", "malloc(%zu) succeeded", n);
  if (shim == 7)
    for (unsigned j = 0; j < FZ_SLOTS; j++)
      if (S[j].p && S[j].ext) {
        S[j].p[0] ^= 0x40; /* simulated stray write into a live block */
        break;
      }
  new_block(i, q, n, 0, 0, 0, "malloc");
}

/* calloc zeroes all it returns: a 48 MiB calloc costs as much as a
 * thousand inputs. Totals between 256 KiB and 64 MiB (granted, then
 * zeroed) shrink to about 256 KiB, still above the mapping threshold;
 * larger ones stay (refused by the budget, or overflowing). */
static size_t calloc_size(size_t nm, size_t n) {
  size_t t, cap = (size_t)256 << 10;
  if (!__builtin_mul_overflow(nm, n, &t) && t > cap &&
      t <= ((size_t)64 << 20))
    n = cap / nm + (n & 15);
  return n;
}

static void op_calloc(unsigned i, size_t nm, size_t n) {
  fz_free_slot(i);
  n = calloc_size(nm, n);
  size_t total;
  int ovf = __builtin_mul_overflow(nm, n, &total);
  begin_call();
  uint8_t *q = bb_heap_calloc(H, nm, n);
  if (shim == 2 && ovf)
    errno = 0;
  after_call();
  if (!q)
    return failed("calloc", total, ovf || total > PTRDIFF_MAX, ENOMEM);
  if (ovf || total > PTRDIFF_MAX)
    fz_finding("NULL-RESULT", "calloc(%zu, %zu) succeeded", nm, n);
  if (shim == 9 && total)
    q[0] = 0xaa;
  new_block(i, q, total, 0, 1, 0, "calloc");
}

static void op_realloc(unsigned i, size_t n) {
  struct fz_slot *s = &S[i];
  if (!s->p) { /* realloc(NULL, n) is malloc(n) */
    begin_call();
    uint8_t *q = bb_heap_realloc(H, NULL, n);
    after_call();
    if (!q)
      return failed("realloc(NULL)", n, n > PTRDIFF_MAX, ENOMEM);
    return new_block(i, q, n, 0, 0, 0, "realloc(NULL)");
  }
  fz_check_slot(i, "before realloc");
  struct fz_slot old = *s;
  begin_call();
  uint8_t *q = bb_heap_realloc(H, s->p, n);
  after_realloc(i);
  if (n == 0) { /* glibc semantics: p is freed, NULL returned */
    if (q)
      fz_finding("NULL-RESULT", "realloc(p, 0) returned %p", (void *)q);
    drop_slot(i);
    return;
  }
  if (!q) {
    failed("realloc", n, n > PTRDIFF_MAX, ENOMEM);
    fz_check_slot(i, "after a failed realloc"); /* p left intact */
    return;
  }
  if (n > PTRDIFF_MAX)
    fz_finding("NULL-RESULT", "realloc(p, %zu) succeeded", n);
  size_t keep = old.ext < n ? old.ext : n;
  if (shim == 8 && keep)
    q[keep - 1] ^= 0x10;
  long b = first_bad(&old, q, keep);
  if (b >= 0)
    fz_finding("REALLOC-KEEP", "realloc(%p, %zu) = %p: byte %ld of %zu kept "
               "is %#x, expected %#x", (void *)old.p, n, (void *)q, b, keep,
               q[b], fz_pat(old.seed, (size_t)b));
  drop_slot(i);
  new_block(i, q, n, 0, 0, old.seed, "realloc");
}

static size_t align_eff(size_t a) {
  if (a <= BB_ALIGN)
    return BB_ALIGN;
  size_t p = 32;
  while (p < a)
    p *= 2;
  return p;
}

/* memalign through the instance API (kind 0), posix_memalign (1) or
 * aligned_alloc (2) through the process-wide names. */
static void op_memalign(unsigned i, size_t align, size_t n, int kind) {
  static const char *const names[3] = {"memalign", "posix_memalign",
                                       "aligned_alloc"};
  /* Known bug 1: an alignment of 2^62 or 2^63 overflows the mapping
   * layout (mapped.c, layout()). */
  if (avoid_known && align >= (size_t)1 << 62 && align <= (size_t)1 << 63)
    return;
  fz_free_slot(i);
  int pw2 = align && !(align & (align - 1));
  int einval = kind == 1   ? align % sizeof(void *) != 0 || !pw2
               : kind == 2 ? !pw2
                           : align > SIZE_MAX / 2 + 1;
  int toobig = n > PTRDIFF_MAX;
  begin_call();
  uint8_t *q = NULL;
  int rc = 0;
  size_t req = n + (shim == 3 && align >= 64 ? 16 : 0);
  if (kind == 0)
    q = bb_heap_memalign(H, align, req);
  else if (kind == 1)
    rc = bb_posix_memalign((void **)&q, align, req);
  else
    q = bb_aligned_alloc(align, req);
  after_call();
  if (fz_trace)
    fz_tracef("  %s(align %zu, %zu)\n", names[kind], align, n);
  if (kind == 1) {
    if (einval) {
      if (rc != EINVAL || q)
        fz_finding("ERRNO", "posix_memalign(%zu) returned %d, not EINVAL",
                   align, rc);
      return;
    }
    if (rc != 0) {
      if (rc != ENOMEM)
        fz_finding("ERRNO", "posix_memalign returned %d", rc);
      return failed(names[kind], n, toobig || huge(n, align), 0); /* errno preserved */
    }
  }
  if (!q)
    return failed(names[kind], n, einval || toobig || huge(n, align),
                  einval ? EINVAL : ENOMEM);
  if (einval || toobig)
    fz_finding("NULL-RESULT", "%s(%zu, %zu) succeeded", names[kind], align, n);
  if (shim == 3 && align >= 64)
    q += 16; /* simulated misalignment; the block leaks */
  new_block(i, q, n, align_eff(align), 0, 0, names[kind]);
}

static void op_usable(unsigned i) {
  struct fz_slot *s = &S[i];
  begin_call();
  size_t u = bb_heap_usable_size(H, s->p);
  after_call();
  if (!s->p ? u != 0 : u != s->usable)
    fz_finding("USABLE-SIZE", "usable size of slot %u (%p) is now %zu, was "
               "%zu", i, (void *)s->p, u, s->usable);
}

static void op_trim(size_t pad) {
  begin_call();
  int r = bb_heap_trim(H, pad);
  after_call();
  if (fz_trace)
    fz_tracef("  trim(%zu) = %d\n", pad, r);
  fz_check_all("after trim");
  fz_check_heap("after trim");
}

static void op_stats(void) {
  struct bb_mallinfo2 m = bb_heap_mallinfo2(H);
  size_t nmap = 0, mbytes = 0, heap = 0;
  for (unsigned i = 0; i < FZ_SLOTS; i++) {
    const struct fz_slot *s = &S[i];
    if (!s->p)
      continue;
    if (bb_segment_of((struct bb_heap *)H, (uintptr_t)s->p)) {
      heap += s->usable + BB_WORD;
    } else {
      nmap++;
      mbytes += s->usable + BB_ALIGN;
    }
  }
  if (shim == 12)
    m.hblks++;
  if (fz_m.attacked)
    return;
  if (m.hblks != nmap || m.hblkhd < mbytes || m.uordblks < heap ||
      m.fordblks > m.arena || m.keepcost > m.fordblks)
    fz_finding("STATS", "mallinfo2: arena %zu uord %zu ford %zu hblks %zu "
               "hblkhd %zu; model: %zu mapped (%zu bytes), %zu in heap",
               m.arena, m.uordblks, m.fordblks, m.hblks, m.hblkhd, nmap,
               mbytes, heap);
}

static void op_is_empty(void) {
  begin_call();
  int e = bb_heap_is_empty(H);
  after_call();
  if (!e != !!fz_m.nlive && !fz_m.attacked)
    fz_finding("NOT-EMPTY", "bb_heap_is_empty() = %d with %zu live blocks",
               e, fz_m.nlive);
}

/* The process-wide names, on this heap. */
static void op_proc(unsigned i, unsigned mod, unsigned xs, size_t n) {
  struct fz_slot *s = &S[i];
  uint8_t *q;
  size_t nm = calloc_counts[xs * 2 + (mod & 1)], total;
  switch (mod) {
  case 0:
    fz_free_slot(i);
    begin_call();
    q = bb_malloc(n);
    after_call();
    if (!q)
      return failed("bb_malloc", n, n > PTRDIFF_MAX, ENOMEM);
    return new_block(i, q, n, 0, 0, 0, "bb_malloc");
  case 1: {
    fz_free_slot(i);
    n = calloc_size(nm, n);
    int ovf = __builtin_mul_overflow(nm, n, &total);
    begin_call();
    q = bb_calloc(nm, n);
    after_call();
    if (!q)
      return failed("bb_calloc", total, ovf || total > PTRDIFF_MAX, ENOMEM);
    if (ovf)
      fz_finding("NULL-RESULT", "bb_calloc(%zu, %zu) succeeded", nm, n);
    return new_block(i, q, total, 0, 1, 0, "bb_calloc");
  }
  case 2:
  case 3: {
    int ovf = __builtin_mul_overflow(nm, n, &total);
    if (mod == 2)
      total = n, ovf = 0;
    if (s->p)
      fz_check_slot(i, "before realloc");
    struct fz_slot old = *s;
    begin_call();
    q = mod == 2 ? bb_realloc(s->p, n) : bb_reallocarray(s->p, nm, n);
    after_realloc(i);
    if (!q) {
      if (old.p && total == 0 && !ovf) {
        drop_slot(i);
        return;
      }
      failed("bb_realloc", total, ovf || total > PTRDIFF_MAX, ENOMEM);
      return fz_check_slot(i, "after a failed realloc");
    }
    if (ovf || (old.p && total == 0))
      fz_finding("NULL-RESULT", "bb_reallocarray(%zu, %zu) = %p", nm, n,
                 (void *)q);
    if (old.p) {
      size_t keep = old.ext < total ? old.ext : total;
      long b = first_bad(&old, q, keep);
      if (b >= 0)
        fz_finding("REALLOC-KEEP", "bb_realloc: byte %ld of %zu kept differs",
                   b, keep);
      drop_slot(i);
    }
    return new_block(i, q, total, 0, 0, old.p ? old.seed : 0, "bb_realloc");
  }
  case 4:
  case 5: {
    fz_free_slot(i);
    size_t r = mod == 4 ? n : n == 0 ? FZ_PAGE : (n + FZ_PAGE - 1) & ~(size_t)(FZ_PAGE - 1);
    int toobig = mod == 4 ? n > PTRDIFF_MAX : n > SIZE_MAX - FZ_PAGE || r > PTRDIFF_MAX;
    begin_call();
    q = mod == 4 ? bb_valloc(n) : bb_pvalloc(n);
    after_call();
    if (!q)
      return failed(mod == 4 ? "bb_valloc" : "bb_pvalloc", n, toobig, ENOMEM);
    if (toobig)
      fz_finding("NULL-RESULT", "bb_pvalloc(%zu) succeeded", n);
    return new_block(i, q, mod == 4 ? n : r, FZ_PAGE, 0, 0,
                     mod == 4 ? "bb_valloc" : "bb_pvalloc");
  }
  case 6:
  case 7: {
    if (s->p) {
      begin_call();
      size_t u = bb_malloc_usable_size(s->p);
      after_call();
      if (u != s->usable)
        fz_finding("USABLE-SIZE", "bb_malloc_usable_size(%p) = %zu, was %zu",
                   (void *)s->p, u, s->usable);
      fz_check_slot(i, "before free");
    }
    uint8_t *p = s->p;
    size_t req = s->req, al = s->align;
    if (p)
      drop_slot(i);
    begin_call();
    if (mod == 6)
      bb_free_sized(p, req);
    else if (xs & 1)
      bb_free_aligned_sized(p, al, req);
    else
      bb_free(p);
    after_call();
    return;
  }
  }
}

/* ------------------------------------------------- the process heap */

static void fz_check_process(void) {
  bb_check_report r;
  if (bb_heap_check(bb_process_heap(), &r) != 0)
    fz_finding("HEAP-CHECK", "process heap: %s at %p: %s", r.invariant,
               r.addr, r.detail);
}

/* One block of the process heap, checked, filled, verified and freed. */
static void *pcheck(void *p, size_t n, size_t align, int zero,
                    const char *what) {
  size_t a = align > BB_ALIGN ? align : BB_ALIGN;
  if (!p) {
    if (n < ((size_t)64 << 20))
      fz_finding("NULL-RESULT", "%s(%zu) failed on the process heap", what,
                 n);
    return NULL;
  }
  size_t u = bb_malloc_usable_size(p);
  if ((uintptr_t)p % a)
    fz_finding("ALIGNMENT", "%s(%zu) = %p on the process heap", what, n, p);
  if (u < n)
    fz_finding("USABLE-SIZE", "%s(%zu) = %p usable %zu", what, n, p, u);
  if (!bb_heap_owns(bb_process_heap(), p, u ? u : 1))
    fz_finding("OUTSIDE-HEAP", "%s(%zu) = %p outside the process heap",
               what, n, p);
  uint8_t *b = p;
  size_t h = n < FZ_WIN ? n : FZ_WIN;
  for (size_t i = 0; i < h; i++) {
    if (zero && b[i])
      fz_finding("CALLOC-ZERO", "%s(%zu): byte %zu", what, n, i);
    b[i] = fz_pat(7, i);
  }
  for (size_t i = n - (n - h < FZ_WIN ? n - h : FZ_WIN); i < n; i++) {
    if (zero && b[i])
      fz_finding("CALLOC-ZERO", "%s(%zu): byte %zu", what, n, i);
    b[i] = fz_pat(7, i);
  }
  return p;
}

static void pverify(const void *p, size_t n, const char *what) {
  const uint8_t *b = p;
  size_t h = n < FZ_WIN ? n : FZ_WIN;
  for (size_t i = 0; i < h; i++)
    if (b[i] != fz_pat(7, i))
      fz_finding(what[0] == 'r' ? "REALLOC-KEEP" : "CONTENT",
                 "process heap %s: byte %zu of %p", what, i, p);
}

/* Defined in coverage builds only. */
extern int __llvm_profile_write_file(void) __attribute__((weak));

static void *thread_body(void *arg) {
  size_t n = *(size_t *)arg;
  void *v[20];
  for (int i = 0; i < 20; i++)
    v[i] = pcheck(bb_malloc(n), n, 0, 0, "thread malloc");
  for (int i = 0; i < 20; i += 2)
    bb_free(v[i]); /* left in the thread's cache: flushed at exit */
  for (int i = 1; i < 20; i += 2)
    bb_free(v[i]);
  return NULL;
}

/* Put the process heap back into one canonical state: nothing cached,
 * every free chunk merged into the top, free segments released, the
 * thresholds and the bin hints at their defaults. Every operation leaves
 * it so, and it starts so (warmed up once at start-up, thread context
 * included), so that an input takes the same paths on every run (AFL++
 * stability). It is also an oracle: the process heap must be empty. */
static void process_settle(void) {
  struct bb_heap *ph = (struct bb_heap *)bb_process_heap();
  if (!bb_heap_is_empty(ph))
    fz_finding("NOT-EMPTY", "the process heap is not empty after an "
               "operation freed everything");
  bb_malloc_trim(0);
  ph->mmap_threshold = BB_MMAP_THRESHOLD;
  ph->trim_threshold = BB_TRIM_THRESHOLD;
  for (unsigned i = 0; i < ph->narenas; i++) {
    struct bb_arena *a = ph->ro->arenas[i];
    a->last_remainder = 0;
    memset(a->binmap, 0, sizeof a->binmap);
  }
  fz_check_process();
}

static struct bb_tctx *real_ctx; /* this thread's process-heap context */
static int warming;

static void op_process(unsigned mod, unsigned xs, size_t n);

void fz_process_warm_up(void) {
  warming = 1;
  for (unsigned mod = 0; mod < 8; mod++)
    op_process(mod, 3, 100);
  warming = 0;
}

static void op_process(unsigned mod, unsigned xs, size_t n) {
  struct bb_tctx *saved = bb_tls_ctx;
  struct bb_tctx *real = real_ctx;
  bb_tls_ctx = real; /* the calling thread's own context */
  void *p, *q;
  switch (mod) {
  case 0:
    p = pcheck(bb_malloc(n), n, 0, 0, "malloc");
    if (p) {
      size_t m = n < ((size_t)1 << 26) ? n * 2 + 1 : n / 2;
      q = pcheck(bb_realloc(p, m), m, 0, 0, "realloc");
      if (q) {
        pverify(q, m < n ? m : n, "realloc");
        bb_free(q);
      } else {
        bb_free(p);
      }
    }
    break;
  case 1: {
    size_t t;
    n = calloc_size(3, n);
    p = bb_calloc(3, n);
    if (__builtin_mul_overflow(n, (size_t)3, &t)) {
      if (p)
        fz_finding("NULL-RESULT", "calloc(3, %zu) succeeded", n);
      break;
    }
    p = pcheck(p, t, 0, 1, "calloc");
    bb_free_sized(p, t);
    break;
  }
  case 2:
    p = pcheck(bb_memalign(aligns[8 + xs * 4], n), n,
               align_eff(aligns[8 + xs * 4]), 0, "memalign");
    if (p)
      pverify(p, n, "memalign");
    bb_free(p);
    break;
  case 3:
    p = NULL;
    if (bb_posix_memalign(&p, 64, n) == 0)
      pcheck(p, n, 64, 0, "posix_memalign");
    bb_free(p);
    p = pcheck(xs & 1 ? bb_valloc(n) : bb_pvalloc(n), n, FZ_PAGE, 0,
               "valloc");
    bb_free(p);
    p = pcheck(bb_aligned_alloc(256, n), n, 256, 0, "aligned_alloc");
    bb_free_aligned_sized(p, 256, n);
    break;
  case 4: { /* trim and statistics */
    void *keep = pcheck(bb_malloc(n), n, 0, 0, "malloc");
    bb_malloc_trim(xs * 4096);
    struct bb_mallinfo2 m = bb_mallinfo2();
    if (m.uordblks > m.arena || m.fordblks > m.arena)
      fz_finding("STATS", "process mallinfo2: arena %zu uord %zu ford %zu",
                 m.arena, m.uordblks, m.fordblks);
    int fd = dup(2), nul = open("/dev/null", O_WRONLY);
    if (fd >= 0 && nul >= 0) { /* malloc_stats prints to stderr */
      dup2(nul, 2);
      bb_malloc_stats();
      dup2(fd, 2);
    }
    if (fd >= 0)
      close(fd);
    if (nul >= 0)
      close(nul);
    if (keep)
      pverify(keep, n, "trim");
    bb_free(keep);
    break;
  }
  case 5: { /* a burst through the cache and the bins; with xs 3, more
             * mapped chunks than the record table first holds */
    static void *v[160];
    int k = xs == 3 ? 160 : 24;
    size_t m = xs == 3 ? BB_MMAP_THRESHOLD_MAX + 1 + n % 4096 : n;
    for (int i = 0; i < k; i++)
      v[i] = pcheck(bb_malloc(m + (size_t)i * 16), m + (size_t)i * 16, 0, 0,
                    "malloc");
    for (int i = 0; i < k; i++)
      bb_free(v[i]);
    break;
  }
  case 6: { /* a thread: its context, its cache, its exit */
    pthread_t th;
    size_t m = n % 2048;
    if (pthread_create(&th, NULL, thread_body, &m) == 0)
      pthread_join(th, NULL);
    break;
  }
  default: { /* fork: the handlers keep the child's heap usable */
    if (!warming) { /* forks copy the fuzzer's page tables: start-up only */
      p = pcheck(bb_malloc(n), n, 0, 0, "malloc");
      bb_free(p);
      break;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
      void *c = bb_malloc(n % 4096 + 1);
      bb_free(c);
      c = bb_malloc(100);
      int rc = c && bb_heap_check(bb_process_heap(), NULL) == 0 ? 0 : 1;
      if (__llvm_profile_write_file) /* coverage builds: count the child */
        __llvm_profile_write_file();
      _exit(rc);
    }
    int status = 0;
    pid_t w = -1;
    if (pid > 0) /* libFuzzer's timer interrupts the wait */
      while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (pid > 0 && (w != pid || status != 0))
      fz_finding("PROCESS", "the forked child's heap failed (status %#x)",
                 status);
    break;
  }
  }
  real_ctx = bb_tls_ctx;
  process_settle();
  bb_tls_ctx = saved;
}

void fz_model_op(enum fz_op op, unsigned mod, unsigned xs, unsigned slot,
                 unsigned code) {
  unsigned i = slot % FZ_SLOTS;
  size_t n = fz_size(code);
  struct fz_slot *s = &S[i];
  if (fz_trace)
    fz_tracef("#%ld %s mod %u xs %u slot %u size %zu\n", fz_opno,
              fz_op_names[op], mod, xs, i, n);
  switch (op) {
  case FZ_MALLOC:
    return op_malloc(i, n);
  case FZ_CALLOC:
    return op_calloc(i, calloc_counts[mod], n);
  case FZ_REALLOC:
    return op_realloc(i, n);
  case FZ_FREE:
    return fz_free_slot(i);
  case FZ_MEMALIGN:
    return op_memalign(i, aligns[xs * 8 + mod], n, 0);
  case FZ_POSIX_MEMALIGN:
    return op_memalign(i, aligns[xs * 8 + mod], n, 1);
  case FZ_ALIGNED_ALLOC:
    return op_memalign(i, aligns[xs * 8 + mod], n, 2);
  case FZ_USABLE:
    return op_usable(i);
  case FZ_VERIFY:
    return fz_check_slot(i, "verify");
  case FZ_REFILL:
    if (s->p) {
      fz_check_slot(i, "before refill");
      s->ext = s->usable; /* the usable bytes are really usable */
      fill(s);
    }
    return;
  case FZ_CHECK:
    fz_check_all("check");
    return fz_check_heap("check");
  case FZ_BURST:
    for (unsigned k = 0; k <= xs * 8 + mod; k++)
      op_malloc((i + k) % FZ_SLOTS, n);
    return;
  case FZ_FREE_RANGE:
    for (unsigned k = 0; k <= xs * 8 + mod; k++)
      fz_free_slot((i + k) % FZ_SLOTS);
    return;
  case FZ_TRIM:
    return op_trim(n);
  case FZ_REALLOC_EDGE:
    switch (mod) {
    case 0:
      fz_free_slot(i);
      return op_realloc(i, n);
    case 1:
      return s->p ? op_realloc(i, 0) : (void)0;
    case 2:
      return s->p ? op_realloc(i, s->req) : (void)0;
    case 3:
      return s->p ? op_realloc(i, s->usable) : (void)0;
    case 4:
      return s->p ? op_realloc(i, s->req + 1 + (code & 63)) : (void)0;
    case 5:
      return s->p ? op_realloc(i, s->req / 2) : (void)0;
    case 6:
      return s->p ? op_realloc(i, (size_t)PTRDIFF_MAX + 1 + (code & 15))
                  : (void)0;
    default:
      begin_call();
      bb_heap_free(H, NULL);
      if (bb_heap_usable_size(H, NULL) != 0)
        fz_finding("USABLE-SIZE", "usable size of NULL is not 0");
      return;
    }
  case FZ_PROC:
    return op_proc(i, mod, xs, n);
  case FZ_STATS:
    return op_stats();
  case FZ_IS_EMPTY:
    return op_is_empty();
  case FZ_FREE_SIZED:
    if (s->p) {
      fz_check_slot(i, "before free");
      uint8_t *p = s->p;
      size_t req = s->req;
      drop_slot(i);
      begin_call();
      bb_heap_free_sized(H, p, req);
      after_call();
    }
    return;
  case FZ_PROCESS:
    return op_process(mod, xs, n);
  case FZ_MOVE: {
    unsigned j = (i + 1 + code) % FZ_SLOTS;
    struct fz_slot t = S[i];
    S[i] = S[j];
    S[j] = t;
    set_slot(i, S[i].p);
    set_slot(j, S[j].p);
    return;
  }
  default:
    return;
  }
}

void fz_model_finish(void) {
  for (unsigned i = 0; i < FZ_SLOTS; i++)
    fz_free_slot(i);
  fz_check_heap("after freeing everything");
  begin_call();
  int e = bb_heap_is_empty(H);
  if (!e && !fz_m.attacked)
    fz_finding("NOT-EMPTY", "the heap is not empty after every block was "
               "freed");
}

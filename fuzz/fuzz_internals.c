/* fuzz_internals: bonbon's pure pieces, driven directly (white box).
 *
 * header[0] % 3 picks the part (header[0] >= 0xf0: OPTIONS, the parser of
 * the runtime options: every field within its declared range, and one
 * valid `name=value` sets exactly that value, an invalid one none):
 *   0 SIZE CLASSES  each 8 bytes are a request n and an extra size:
 *      bb_request2size is the least multiple of 16 >= max(MINSIZE,
 *      n + extra + 8), or 0 when that overflows a header (or comes within
 *      16 bytes of it: a conservative margin the core has); it is
 *      monotonic; bb_bin_index is size/16 below MIN_LARGE, steps by 0 or
 *      1 bin per 16 bytes and stays within [2, 126]; the thread-cache class
 *      round-trips.                                       (SIZE-CLASS)
 *   1 CODECS  keys from a hash of the input, then 16-byte records:
 *      header make/get round-trips and checks; changing the check bits is
 *      always detected; changed low bits or a moved header pass at most
 *      3 times in 64 (expected 2^-20 each); links round-trip and a link
 *      moved to a nearby word never decodes to the same chunk; raw
 *      pointers rarely decode.                             (CODEC)
 *   2 REGION  split and coalesce on a private segment of a private heap:
 *      2-byte records carve, malloc, free, shrink, grow and consolidate
 *      (bb_top_carve, bb_arena_malloc, bb_arena_free, bb_arena_shrink,
 *      bb_arena_grow_in_place, bb_arena_consolidate); a shadow tiling
 *      predicts the exact result of the deterministic ones and bounds the
 *      others (no in-use chunk moves; new in-use bytes were free), and the
 *      heap checker runs every 8 records and at the end.   (REGION)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fz_common.h"
#include "internal.h"

static int ready;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (!ready) {
    fz_source_init();
    fz_install_hook();
    ready = 1;
  }
  return 0;
}

static uint64_t rd64(const uint8_t *p) {
  uint64_t v;
  memcpy(&v, p, 8);
  return v;
}

/* ------------------------------------------------------- size classes */

static void size_classes(const uint8_t *d, size_t len) {
  for (size_t off = 0; off + 8 <= len; off += 8) {
    uint64_t w = rd64(d + off);
    /* Mostly small requests, sometimes near the header limit. */
    size_t n = w & 1 ? (size_t)(w >> 8) : (size_t)(w >> 8) % 65536;
    if (w & 2)
      n = BB_MAX_CHUNK - (size_t)(w >> 40);
    size_t extra = (w >> 2 & 3) * 8;
    size_t nb = bb_request2size(n, extra);
    unsigned __int128 want = (unsigned __int128)n + extra + BB_WORD + 15;
    want -= want % 16;
    if (want < BB_MINSIZE)
      want = BB_MINSIZE;
    /* request2size refuses up to 16 bytes early (its bound is
     * MAX_CHUNK - ALIGN - extra); that margin is accepted. */
    int refuse_ok = want > BB_MAX_CHUNK - BB_ALIGN && nb == 0;
    if (want > BB_MAX_CHUNK ? nb != 0 : nb != (size_t)want && !refuse_ok)
      fz_finding("SIZE-CLASS", "request2size(%zu, %zu) = %zu", n, extra, nb);
    size_t nb1 = bb_request2size(n + 1, extra);
    if (nb && nb1 && nb1 < nb)
      fz_finding("SIZE-CLASS", "request2size not monotonic at %zu", n);
    size_t s = (nb ? nb : BB_MINSIZE) % ((size_t)1 << 24);
    s = s < BB_MINSIZE ? BB_MINSIZE : s - s % 16;
    size_t b = bb_bin_index(s), b1 = bb_bin_index(s + 16);
    if (b < 2 || b > 126 || (s < BB_MIN_LARGE && b != s / 16) || b1 < b ||
        b1 > b + 1)
      fz_finding("SIZE-CLASS", "bin_index(%zu) = %zu, (%zu) = %zu", s, b,
                 s + 16, b1);
    if (s <= BB_TCACHE_MAX_SIZE && (bb_tc_class(s) + 2) * 16 != s)
      fz_finding("SIZE-CLASS", "tcache class of %zu", s);
  }
}

/* ------------------------------------------------------------- codecs */

static uint64_t rng(uint64_t *x) { return fz_mix(*x += 0x9e3779b97f4a7c15ull); }

static void codecs(const uint8_t *d, size_t len) {
  if (len < 24)
    return;
  /* Keys from a hash of the input, as a heap's come from its seed: a
   * fuzzer that chose them could pick degenerate ones (a zero link key). */
  uint64_t r = fz_hash(d, len);
  struct bb_keys k = {fz_mix(r ^ rd64(d)), fz_mix(r + rd64(d + 8)),
                      fz_mix(r - rd64(d + 16)), 0};
  for (size_t off = 24; off + 16 <= len; off += 16) {
    uint64_t a = rd64(d + off), b = rd64(d + off + 8);
    size_t c = (size_t)(a % (BB_INDEX_LIMIT / 2)) * 2 + 1;
    size_t state = b % 16, size = (b >> 4) % (BB_T36 / 16) * 16;
    size_t slack = (b >> 40) % 256;
    size_t h = bb_h_make(&k, c, state, size, slack);
    if (bb_h_state(h) != state || bb_h_size(h) != size ||
        bb_h_slack(h) != slack || !bb_h_ok(&k, c, h))
      fz_finding("CODEC", "header round trip: c %zu state %zu size %zu "
                 "slack %zu -> %#zx", c, state, size, slack, h);
    size_t x = (b >> 48) % ((size_t)1 << 20);
    if (x && bb_h_ok(&k, c, h ^ x << 44))
      fz_finding("CODEC", "check bits changed by %#zx still pass", x);
    unsigned low = 0, moved = 0, raw = 0;
    for (int i = 0; i < 64; i++) {
      size_t m = rng(&r) % BB_T44;
      low += m && bb_h_ok(&k, c, h ^ m);
      size_t dc = (rng(&r) % 4096 + 1) * 2;
      moved += bb_h_ok(&k, c + dc, h);
      /* A raw pointer stored in a random word (independent samples). */
      size_t v, p = (size_t)0x550000000000ull + (rng(&r) % (1u << 30)) * 16;
      raw += bb_link_dec_word(&k, c + 1 + 2 * (rng(&r) % 65536), p, &v) == 0;
    }
    if (low > 3 || moved > 3 || raw > 3)
      fz_finding("CODEC", "tampering passes too often: %u low-bit, %u moved, "
                 "%u raw pointers of 64", low, moved, raw);
    /* Links. */
    size_t s = c + 1, v = (size_t)(b % BB_INDEX_LIMIT), e, got;
    e = bb_link_enc(&k, s, v);
    if (bb_link_dec_word(&k, s, e, &got) != 0 || got != v)
      fz_finding("CODEC", "link round trip at %zu: %zu", s, v);
    size_t s2 = s + 1 + (a >> 62) + (b >> 58) % 64;
    if (bb_link_dec_word(&k, s2, e, &got) == 0 && got == v)
      fz_finding("CODEC", "link moved from %zu to %zu still decodes", s, s2);
  }
}

/* ------------------------------------------------------------ options */

static const struct {
  const char *name;
  size_t def, min, max;
} decl[] = {
#define FZ_DECL(field, def, min, max, what) {#field, def, min, max},
    BB_OPTIONS(FZ_DECL)
#undef FZ_DECL
};
enum { N_OPTS = sizeof decl / sizeof decl[0] };

static const char *options_check(const uint8_t *d, size_t len);

/* Every field of a parsed option set lies within its declared range; a
 * string made of one valid `name=value` sets exactly that value, and an
 * out-of-range one leaves every option at its default. */
static void options(const uint8_t *d, size_t len) {
  /* The parser warns on stderr: silence it (FZ_TRACE keeps it). */
  static int null_fd = -2, err_fd = -1;
  if (null_fd == -2) {
    null_fd = fz_trace ? -1 : open("/dev/null", O_WRONLY | O_CLOEXEC);
    err_fd = null_fd >= 0 ? dup(2) : -1;
  }
  if (null_fd >= 0)
    dup2(null_fd, 2);
  const char *bad = options_check(d, len);
  if (err_fd >= 0)
    dup2(err_fd, 2);
  if (bad)
    fz_finding("OPTIONS", "%s", bad);
}

static const char *options_check(const uint8_t *d, size_t len) {
  static char msg[512];
  char str[257];
  size_t n = len < 256 ? len : 256;
  memcpy(str, d, n);
  str[n] = 0;
  struct bb_options o;
  bb_options_init(&o, str);
  size_t *f = (size_t *)&o;
  for (size_t i = 0; i < N_OPTS; i++)
    if (f[i] < decl[i].min || f[i] > decl[i].max)
      return snprintf(msg, sizeof msg, "\"%s\": %s = %zu outside [%zu, %zu]",
                      str, decl[i].name, f[i], decl[i].min, decl[i].max),
             msg;
  if (len < 9)
    return NULL;
  size_t i = d[0] % N_OPTS, v;
  memcpy(&v, d + 1, 8);
  v >>= d[0] >> 2 & 63; /* small values as often as large ones */
  snprintf(str, sizeof str, "%s=%zu", decl[i].name, v);
  bb_options_init(&o, str);
  for (size_t j = 0; j < N_OPTS; j++) {
    size_t want = j == i && v >= decl[i].min && v <= decl[i].max ? v
                                                                  : decl[j].def;
    if (f[j] != want)
      return snprintf(msg, sizeof msg, "\"%s\": %s = %zu, expected %zu",
                      str, decl[j].name, f[j], want),
             msg;
  }
  return NULL;
}

/* ------------------------------------------------------------- region */

enum { R_INUSE, R_FREE, R_FAST, R_TOP };
struct rc {
  size_t c, size;
  int st;
};
#define RMAX 4096
static struct rc model[RMAX], real[RMAX], tmp[RMAX];
static size_t nmodel, nreal;
static struct bb_arena *A;
static struct bb_segment *SEG;
static bb_heap *RH;

static void region_walk(void) {
  size_t c = SEG->first, end = bb_seg_end(SEG);
  nreal = 0;
  while (c < end && nreal < RMAX) {
    size_t h = BB_W(c), st = bb_h_state(h), size = bb_h_size(h);
    if (!bb_h_ok(A->k, c, h) || size < BB_MINSIZE || size / 8 > end - c)
      fz_finding("REGION", "bad header at chunk %zu", c - SEG->first);
    int s = st == BB_ST_INUSE ? R_INUSE
            : st == BB_ST_FAST ? R_FAST
            : st == BB_ST_TOP  ? R_TOP
            : BB_IS_BINNED(st) ? R_FREE
                               : -1;
    if (s < 0)
      fz_finding("REGION", "state %zu at chunk %zu", st, c - SEG->first);
    real[nreal++] = (struct rc){c, size, s};
    c += size / 8;
  }
}

static void region_compare(const char *what) {
  region_walk();
  int same = nreal == nmodel;
  for (size_t i = 0; same && i < nreal; i++)
    same = real[i].c == model[i].c && real[i].size == model[i].size &&
           real[i].st == model[i].st;
  if (!same) {
    if (fz_trace)
      for (size_t i = 0; i < (nreal > nmodel ? nreal : nmodel); i++)
        fz_tracef("  %3zu real %zu+%zu/%d model %zu+%zu/%d\n", i,
                  i < nreal ? real[i].c - SEG->first : 0,
                  i < nreal ? real[i].size : 0, i < nreal ? real[i].st : -1,
                  i < nmodel ? model[i].c - SEG->first : 0,
                  i < nmodel ? model[i].size : 0,
                  i < nmodel ? model[i].st : -1);
    fz_finding("REGION", "after %s the chunks differ from the model", what);
  }
}

/* Merge the maximal runs of free chunks that `mergeable` selects. */
static void model_merge(int fast_too) {
  size_t n = 0;
  for (size_t i = 0; i < nmodel; i++) {
    struct rc x = model[i];
    int fr = x.st == R_FREE || x.st == R_TOP || (fast_too && x.st == R_FAST);
    if (n && fr) {
      struct rc *p = &tmp[n - 1];
      int pf = p->st == R_FREE || p->st == R_TOP ||
               (fast_too && p->st == R_FAST);
      if (pf) {
        p->size += x.size;
        if (x.st == R_TOP)
          p->st = R_TOP;
        else if (p->st == R_FAST)
          p->st = R_FREE;
        continue;
      }
    }
    if (fast_too && x.st == R_FAST)
      x.st = R_FREE;
    tmp[n++] = x;
  }
  memcpy(model, tmp, n * sizeof *model);
  nmodel = n;
}

/* The model after freeing chunk i (not a fast-bin size): merged with a
 * free predecessor and a free or top successor. */
static size_t model_free(size_t i) {
  model[i].st = R_FREE;
  size_t lo = i, hi = i;
  if (i > 0 && model[i - 1].st == R_FREE)
    lo = i - 1;
  if (i + 1 < nmodel &&
      (model[i + 1].st == R_FREE || model[i + 1].st == R_TOP))
    hi = i + 1;
  struct rc m = {model[lo].c, 0, model[hi].st == R_TOP ? R_TOP : R_FREE};
  for (size_t j = lo; j <= hi; j++)
    m.size += model[j].size;
  model[lo] = m;
  memmove(&model[lo + 1], &model[hi + 1], (nmodel - hi - 1) * sizeof *model);
  nmodel -= hi - lo;
  return lo;
}

static void model_split(size_t i, size_t nb) {
  memmove(&model[i + 2], &model[i + 1], (nmodel - i - 1) * sizeof *model);
  model[i + 1] = (struct rc){model[i].c + nb / 8, model[i].size - nb, R_FREE};
  model[i].size = nb;
  nmodel++;
}

/* malloc and grow choose their chunk by policy: check only that no in-use
 * chunk changed and that the new in-use bytes were free, then adopt. Both
 * lists are sorted by address: one pass each. */
static void region_adopt(const char *what, size_t grown) {
  region_walk();
  size_t j = 0;
  for (size_t m = 0; m < nmodel; m++) { /* every in-use chunk survives */
    if (model[m].st != R_INUSE)
      continue;
    while (j < nreal && real[j].c < model[m].c)
      j++;
    if (j == nreal || real[j].c != model[m].c || real[j].st != R_INUSE ||
        (real[j].size != model[m].size &&
         !(real[j].c == grown && real[j].size > model[m].size)))
      fz_finding("REGION", "%s lost or changed the in-use chunk at %zu",
                 what, model[m].c - SEG->first);
  }
  size_t m = 0;
  for (size_t i = 0; i < nreal; i++) { /* new in-use bytes were free */
    if (real[i].st != R_INUSE)
      continue;
    size_t lo = real[i].c, hi = lo + real[i].size / 8;
    while (m < nmodel && model[m].c + model[m].size / 8 <= lo)
      m++;
    for (size_t k = m; k < nmodel && model[k].c < hi; k++)
      if (model[k].st == R_INUSE && model[k].c != lo)
        fz_finding("REGION", "%s made chunk %zu in use over the in-use "
                   "chunk at %zu", what, lo - SEG->first,
                   model[k].c - SEG->first);
  }
  memcpy(model, real, nreal * sizeof *model);
  nmodel = nreal;
}

static size_t nth(int st, unsigned k) {
  size_t n = 0;
  for (size_t i = 0; i < nmodel; i++)
    n += model[i].st == st;
  if (!n)
    return SIZE_MAX;
  k %= n;
  for (size_t i = 0; i < nmodel; i++)
    if (model[i].st == st && k-- == 0)
      return i;
  return SIZE_MAX;
}

static void region_check(void) {
  bb_check_report r;
  if (bb_heap_check(RH, &r) != 0)
    fz_finding("REGION", "heap check: %s at %p: %s", r.invariant, r.addr,
               r.detail);
}

static void region(const uint8_t *d, size_t len) {
  bb_heap_config cfg = {fz_source, 1, fz_hash(d, len), 1, NULL};
  fz_source_begin((size_t)64 << 20, 0);
  RH = bb_heap_create(&cfg);
  if (!RH)
    fz_finding("REGION", "bb_heap_create failed");
  A = ((struct bb_heap *)RH)->ro->arenas[0];
  SEG = bb_segment_new(A, (size_t)64 << 10);
  if (!SEG)
    fz_finding("REGION", "bb_segment_new failed");
  A->top = SEG->first;
  A->top_seg = SEG;
  nmodel = 1;
  model[0] = (struct rc){SEG->first, (bb_seg_end(SEG) - SEG->first) * 8,
                         R_TOP};
  region_compare("setup");
  static const char *const names[6] = {"carve", "malloc", "free",
                                       "shrink", "grow", "consolidate"};
  for (size_t off = 0; off + 2 <= len && nmodel < RMAX - 4; off += 2) {
    unsigned op = d[off] % 6, k = d[off] / 6;
    size_t nb = BB_MINSIZE + 16u * d[off + 1], i;
    fz_opno = (long)(off / 2);
    if (fz_trace)
      fz_tracef("#%ld %s k %u nb %zu\n", fz_opno, names[op], k, nb);
    switch (op) {
    case 0: { /* carve from the top */
      size_t t = nmodel - 1, ts = bb_top_check(A);
      if (ts != model[t].size || model[t].st != R_TOP)
        fz_finding("REGION", "top size %zu, model %zu", ts, model[t].size);
      if (ts < nb + BB_MINSIZE)
        break;
      bb_top_carve(A, ts, nb, BB_ST_INUSE, 0);
      model_split(t, nb);
      model[t].st = R_INUSE;
      model[t + 1].st = R_TOP;
      region_compare("carve");
      break;
    }
    case 1: { /* malloc by policy */
      size_t c = bb_arena_malloc(A, nb, nb - BB_WORD, NULL, 0);
      if (c && (c % 2 == 0 || bb_h_size(BB_W(c)) < nb))
        fz_finding("REGION", "malloc(%zu) returned chunk %zu", nb, c);
      region_adopt("malloc", 0);
      break;
    }
    case 2: /* free an in-use chunk */
      if ((i = nth(R_INUSE, k)) == SIZE_MAX)
        break;
      if (fz_trace)
        fz_tracef("  free chunk %zu (%zu bytes)\n", model[i].c - SEG->first,
                  model[i].size);
      { /* the caller's part of free: zero the chunk (zero-on-free) */
        size_t c = model[i].c, sz = model[i].size;
        int z = sz <= ((struct bb_heap *)RH)->ro->zero_max;
        if (z)
          bb_zero_words(c + 1, c + sz / 8);
        bb_arena_free(A, SEG, c, sz, z);
      }
      if (model[i].size <= BB_FAST_MAX_SIZE) {
        model[i].st = R_FAST;
        region_compare("free");
      } else if (model[i = model_free(i)].size >= BB_CONSOLIDATE_SIZE) {
        region_adopt("free", 0); /* it consolidates and may trim */
      } else {
        region_compare("free");
      }
      break;
    case 3: /* shrink an in-use chunk */
      if ((i = nth(R_INUSE, k)) == SIZE_MAX || model[i].size < nb + BB_MINSIZE)
        break;
      bb_arena_shrink(A, SEG, model[i].c, model[i].size, nb, nb - BB_WORD);
      model_split(i, nb);
      model_free(i + 1);
      region_compare("shrink");
      break;
    case 4: /* grow an in-use chunk in place */
      if ((i = nth(R_INUSE, k)) == SIZE_MAX)
        break;
      nb += model[i].size;
      bb_arena_grow_in_place(A, SEG, model[i].c, model[i].size, nb,
                             nb - BB_WORD);
      region_adopt("grow", model[i].c);
      break;
    default:
      bb_arena_consolidate(A);
      model_merge(1);
      region_compare("consolidate");
      break;
    }
    if (fz_opno % 8 == 7)
      region_check();
  }
  fz_opno = -1;
  region_check();
  bb_heap_destroy(RH);
  if (fz_source_live())
    fz_finding("LEAK", "bb_heap_destroy left %zu mappings", fz_source_live());
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t len) {
  if (len < 1)
    return 0;
  LLVMFuzzerInitialize(NULL, NULL);
  sigjmp_buf jb;
  fz_opno = -1;
  if (sigsetjmp(jb, 0))
    fz_finding("ALLOCATOR-FATAL", "bonbon detected \"%s\" at %p",
               fz_fatal.check, fz_fatal.addr);
  fz_fatal.jmp = &jb;
  switch (d[0] >= 0xf0 ? 3 : d[0] % 3) {
  case 3:
    options(d + 1, len - 1);
    break;
  case 0:
    size_classes(d + 1, len - 1);
    break;
  case 1:
    codecs(d + 1, len - 1);
    break;
  default:
    region(d + 1, len - 1);
    break;
  }
  fz_fatal.jmp = NULL;
  return 0;
}

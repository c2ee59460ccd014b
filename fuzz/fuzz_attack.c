/* fuzz_attack: an ArcHeap-style attacker against bonbon.
 *
 * The attacker has the API, its own buffer and the container of live
 * pointers (both in harness memory, outside the heap), and one class of
 * memory-corruption primitive per input. The property:
 *
 *   after any attack, either bonbon reports a detected corruption (the
 *   fatal hook fires; the heap is thrown away and the input passes), or
 *   every later result stays safe:
 *     OVERLAP / OUTSIDE-HEAP / ALIGNMENT / USABLE-SIZE  as in fuzz_ops;
 *     HARNESS-WRITE  the buffer and the container equal their shadows;
 *     LIVE-CLOBBER   no live block changed except in bytes the attacker
 *                    wrote (checked after every call once attacked).
 *   UNDETECTED-FREE: freeing or reallocating a pointer that is not a live
 *   block (a double free, a forged pointer) must be reported at that call,
 *   because bonbon validates every pointer before any store.
 * Anything else, a fault inside the allocator included, is a finding.
 *
 * Headers carry a 20-bit keyed check, so an attacker write makes a valid
 * header by chance once in 2^20 tries. The harness knows the keys: when a
 * write produces a valid header that was not there (MAC-LUCK), it stops
 * checking that input, because the property only holds up to that
 * probability. Secrets derive from a hash of the whole input, so a fuzzer
 * cannot learn them by small mutations.
 *
 * Input: an 8-byte header, then 8-byte records.
 *   header[0] bits 0-1  heap check every 1, 8, 64 records or at the end
 *             bit 2     small memory budget
 *   header[2]           runtime options of the heap (fz_options)
 *   header[1] % 8       vulnerability class allowed: 0 and 7 any; 1
 *                       overflow; 2 off-by-one (byte, NUL); 3 header write
 *                       and bit flip; 4 write after free; 5 double free and
 *                       realloc of a freed pointer; 6 free of a forged pointer
 *   record    r[0]      operation (table below)
 *             r[1]      slot (& 63), two selector bits (>> 6)
 *             r[2]      aux: modifier, word count, offset
 *             r[3]      value selector (& 15)
 *             r[4..7]   32-bit immediate (size code in the low 16 bits)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_common.h"
#include "fz_model.h"
#include "internal.h"

enum aop {
  A_API,      /* r[2] & 31 picks a fuzz_ops operation */
  A_HEAP_WRITE, A_BUF_WRITE,              /* capabilities, always allowed */
  A_OVERFLOW, A_OFF_BY_ONE, A_OFF_BY_NUL, /* vulnerability primitives */
  A_HDR_WRITE, A_BITFLIP, A_UAF_WRITE, A_DOUBLE_FREE, A_REALLOC_FREED,
  A_ARB_FREE, A_NOPS
};
static const char *const anames[A_NOPS] = {
    "api", "heap_write", "buf_write", "overflow", "off_by_one", "off_by_nul",
    "hdr_write", "bitflip", "uaf_write", "double_free", "realloc_freed",
    "arb_free"};
static const unsigned aclass[A_NOPS] = {0, 0, 0, 1, 2, 2, 3, 3, 4, 5, 5, 6};

/* r[0] % 16 -> operation: the API twice as often as any primitive. */
static const enum aop atab[16] = {
    A_API,      A_API,         A_API,        A_API,
    A_API,      A_HEAP_WRITE,  A_BUF_WRITE,  A_OVERFLOW,
    A_OFF_BY_ONE, A_OFF_BY_NUL, A_HDR_WRITE, A_BITFLIP,
    A_UAF_WRITE, A_DOUBLE_FREE, A_REALLOC_FREED, A_ARB_FREE,
};
static const enum fz_op apitab[16] = {
    FZ_MALLOC, FZ_MALLOC,   FZ_CALLOC,  FZ_REALLOC,    FZ_FREE,
    FZ_FREE,   FZ_MEMALIGN, FZ_USABLE,  FZ_CHECK,      FZ_BURST,
    FZ_FREE_RANGE, FZ_TRIM, FZ_IS_EMPTY, FZ_REALLOC_EDGE, FZ_PROC,
    FZ_MALLOC};

static struct {
  unsigned long inputs, detected, luck, survived;
} st;
static int ready;
static volatile int abandon; /* MAC-LUCK: stop checking this input */
static int avoid_known;       /* FZ_AVOID_KNOWN (see fz_model.c) */

#define H fz_m.h
#define SL fz_m.s

static const struct bb_keys *keys(void) {
  return &((struct bb_heap *)H)->ro->keys;
}

/* ------------------------------------------------------------ values */

static uint64_t word_at(uintptr_t a) {
  uint64_t w = 0;
  if (a % 8 == 0 && bb_heap_owns(H, (void *)a, 8))
    memcpy(&w, (void *)a, 8);
  return w;
}

static uint8_t *victim(unsigned i) {
  return SL[i].p ? SL[i].p : SL[i].dead;
}

/* The value an attacker writes: from constants, heap addresses, harness
 * addresses, sizes, and the victim's own header plus or minus a little. */
static uint64_t value(unsigned sel, uint32_t imm, unsigned i, uintptr_t at) {
  static const uint64_t small[4] = {0, (uint64_t)-1, 8, (uint64_t)-8};
  uintptr_t vh = (uintptr_t)victim(i) - 8;
  unsigned j = imm & 63;
  uintptr_t pj = (uintptr_t)victim(j);
  switch (sel & 15) {
  case 0:
    return small[imm & 3];
  case 1:
    return imm;
  case 2:
    return (uint64_t)(int64_t)(int32_t)imm;
  case 3:
    return pj + (uint64_t)(int64_t)(int16_t)(imm >> 16);
  case 4:
    return (uintptr_t)fz_m.buf + (imm >> 6) % FZ_BUF;
  case 5:
    return (uintptr_t)fz_m.cont + (imm >> 6) % (FZ_SLOTS * 8);
  case 6:
    return word_at(vh) + (uint64_t)(int64_t)(int8_t)(imm >> 8);
  case 7:
    return word_at(vh) % BB_T44 + (uint64_t)(imm >> 12) * BB_T44;
  case 8:
    return SL[j].usable + 8 + (uint64_t)(int64_t)(int8_t)(imm >> 8) * 16;
  case 9:
    return word_at(at & ~(uintptr_t)7) + (uint64_t)(int64_t)(int16_t)(imm >> 8);
  case 10:
    return word_at(at & ~(uintptr_t)7) ^ ((uint64_t)1 << (imm >> 8 & 63));
  case 11:
    return word_at(pj - 8);
  case 12:
    return pj - 16;
  case 13:
    return (uint64_t)imm << 32 | imm;
  case 14:
    return word_at(vh) + (uint64_t)(int64_t)(int8_t)(imm >> 8) * 16;
  default:
    return SIZE_MAX - (imm >> 8);
  }
}

/* ---------------------------------------------------- attacker writes */

/* Write n bytes at a (only inside memory the heap owns: the attacker's
 * reach), taint them, and detect a lucky valid header. Returns 0, or -1
 * when the write was out of reach. */
static int poke(uintptr_t a, const void *src, size_t n) {
  if (!n || !bb_heap_owns(H, (void *)a, n))
    return -1;
  uintptr_t w0 = a & ~(uintptr_t)7, w1 = (a + n + 7) & ~(uintptr_t)7;
  uint64_t old[4];
  for (uintptr_t w = w0, k = 0; w < w1 && k < 4; w += 8, k++)
    memcpy(&old[k], (void *)w, 8);
  memcpy((void *)a, src, n);
  fz_taint(a, n);
  fz_m.attacked = 1;
  if (fz_trace)
    fz_tracef("  poke %p (%zu bytes)\n", (void *)a, n);
  for (uintptr_t w = w0, k = 0; w < w1 && k < 4; w += 8, k++) {
    uint64_t v;
    memcpy(&v, (void *)w, 8);
    if (v != old[k] && bb_h_ok(keys(), w / 8, v)) {
      if (fz_trace)
        fz_tracef("  MAC-LUCK: valid header %#lx forged at %p\n",
                  (unsigned long)v, (void *)w);
      abandon = 1;
    }
  }
  return 0;
}

static void poke64(uintptr_t a, uint64_t v, size_t n) {
  while (n) {
    size_t k = n < 8 ? n : 8;
    poke(a, &v, k);
    a += k;
    n -= k;
  }
}

/* ------------------------------------------------- invalid frees */

/* A free (or realloc) of x, which is not a live block, returned: unless
 * the word before x became a valid header by chance, that is a finding. */
static void undetected(const char *what, uintptr_t x) {
  uint64_t h = word_at(x - 8);
  int written = fz_window_at(x - 8) >= 0 || fz_window_at(x - 1) >= 0;
  if (bb_h_ok(keys(), x / 8 - 1, h) && written) {
    if (fz_trace)
      fz_tracef("  MAC-LUCK: a window byte pattern is a valid header\n");
    abandon = 1;
    return;
  }
  fz_finding("UNDETECTED-FREE", "%s(%p) of no live block returned; header "
             "word %#lx", what, (void *)x, (unsigned long)h);
}

static void bad_free(uintptr_t x, int re, size_t n) {
  if (!x)
    return;
  int j = fz_slot_at((void *)x);
  if (j >= 0) { /* the chunk was handed out again: a legitimate free */
    fz_free_slot((unsigned)j);
    return;
  }
  fz_m.attacked = 1;
  if (fz_trace)
    fz_tracef("  %s %p\n", re ? "realloc" : "free", (void *)x);
  if (re) {
    /* Known bug 2: realloc checks the size before a pointer outside the
     * heap segments (corpus/regressions/README.md). */
    if (avoid_known && n > PTRDIFF_MAX)
      return;
    void *q = bb_heap_realloc(H, (void *)x, n);
    (void)q;
    undetected("realloc", x);
  } else {
    bb_heap_free(H, (void *)x);
    undetected("free", x);
  }
}

/* ------------------------------------------------------------ records */

static void run_record(const uint8_t *r, unsigned vclass) {
  enum aop op = atab[r[0] & 15];
  unsigned i = r[1] & 63, xs = r[1] >> 6, aux = r[2], sel = r[3];
  uint32_t imm = fz_rd32(r + 4);
  if (aclass[op] && vclass && vclass != 7 && aclass[op] != vclass)
    return; /* one vulnerability class per input */
  struct fz_slot *s = &SL[i];
  uintptr_t p = (uintptr_t)s->p;
  if (fz_trace && op != A_API)
    fz_tracef("#%ld %s slot %u aux %u sel %u imm %#x\n", fz_opno, anames[op],
              i, aux, sel & 15, imm);
  switch (op) {
  case A_API:
    return fz_model_op(apitab[aux & 15], aux >> 5, xs, i, imm & 0xffff);
  case A_HEAP_WRITE:
    if (p && s->usable >= 8) {
      uintptr_t a = p + (imm % s->usable & ~(size_t)7);
      poke64(a, value(sel, imm, i, a), 8);
    }
    return;
  case A_BUF_WRITE: {
    size_t k = (aux | (size_t)xs << 8) % (FZ_BUF / 8) * 8;
    uint64_t v = value(sel, imm, i, 0);
    memcpy(fz_m.buf + k, &v, 8);
    memcpy(fz_m.buf_sh + k, &v, 8);
    return;
  }
  case A_OVERFLOW:
    if (p) {
      uintptr_t a = p + (aux & 8 ? s->req : s->usable);
      poke64(a, value(sel, imm, i, a), ((aux & 7) + 1) * 8);
    }
    return;
  case A_OFF_BY_ONE:
  case A_OFF_BY_NUL:
    if (p) {
      uint8_t b = op == A_OFF_BY_NUL ? 0 : (uint8_t)imm;
      poke(p + (aux & 8 ? s->req : s->usable), &b, 1);
    }
    return;
  case A_HDR_WRITE: {
    uintptr_t v = (uintptr_t)victim(i);
    if (v) {
      uintptr_t a = v - 8 * ((aux & 3) + 1);
      poke64(a, value(sel, imm, i, a), 8);
    }
    return;
  }
  case A_BITFLIP: {
    uintptr_t v = (uintptr_t)victim(i);
    if (v) {
      uintptr_t a = v + imm % (s->usable + 64) - 32;
      uint8_t b = (uint8_t)(word_at(a & ~(uintptr_t)7) >> (a % 8 * 8));
      b ^= (uint8_t)(1u << (aux & 7));
      poke(a, &b, 1);
    }
    return;
  }
  case A_UAF_WRITE:
    if (s->dead && fz_slot_at(s->dead) < 0) {
      uintptr_t d = (uintptr_t)s->dead, w = (aux & 63) * 8u;
      uintptr_t a = aux & 64 ? d + (s->usable & ~(size_t)7) - 8 - w : d + w;
      poke64(a, value(sel, imm, i, a), aux & 128 ? 1 : 8);
    }
    return;
  case A_DOUBLE_FREE:
    return bad_free((uintptr_t)s->dead, 0, 0);
  case A_REALLOC_FREED:
    return bad_free((uintptr_t)s->dead, 1, fz_size(imm & 0xffff));
  case A_ARB_FREE: {
    uintptr_t v = (uintptr_t)victim(i), x;
    switch (aux & 7) {
    case 0:
      x = v ? v + 16 : 0;
      break;
    case 1:
      x = v ? v + (imm % (s->usable + 1) & ~(size_t)15) : 0;
      break;
    case 2:
      x = v ? v - 16 : 0;
      break;
    case 3:
      x = (uintptr_t)fz_m.buf + 16 + (imm % (FZ_BUF - 32) & ~(size_t)15);
      break;
    case 4:
      x = (uintptr_t)fz_m.cont + 16 * (imm % 32);
      break;
    case 5:
      x = v ? v + s->usable + 8 : 0;
      break;
    case 6:
      x = value(sel, imm, i, 0);
      break;
    default:
      x = v ? v + 8 : 0;
      break;
    }
    return bad_free(x, 0, 0);
  }
  default:
    return;
  }
}

/* Known bug 3: a forged cache link that lands on another cached chunk
 * leaves the class's count above its list's length, and the pop that
 * finds the list empty reads address 0 (corpus/regressions/README.md).
 * With FZ_AVOID_KNOWN=1 an input stops when a list and its count
 * disagree, before that pop. */
static int tcache_consistent(void) {
  const struct bb_tctx *t = &((struct bb_heap *)H)->ictx;
  for (size_t cls = 0; cls < BB_TCACHE_CLASSES; cls++) {
    size_t v = t->head[cls], n = 0;
    while (v && n <= t->count[cls]) {
      if (!bb_heap_owns(H, (void *)(v * 8), 16) ||
          bb_link_dec(keys(), v + 1, &v) != 0)
        return 1; /* a bad link: the allocator detects it */
      n++;
    }
    if (n < t->count[cls])
      return 0;
  }
  return 1;
}

static void report(void) {
  if (getenv("FZ_STATS") || fz_trace)
    fprintf(stderr, "fuzz_attack: %lu inputs, %lu detected, %lu mac-luck, "
                    "%lu attacked and safe\n", st.inputs, st.detected,
            st.luck, st.survived);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (!ready) {
    fz_source_init();
    fz_install_hook();
    fz_model_init();
    const char *e = getenv("FZ_AVOID_KNOWN");
    avoid_known = e && *e && *e != '0';
    atexit(report);
    ready = 1;
  }
  return 0;
}

static void discard(void) {
  bb_heap_destroy(H);
  bb_tls_ctx = NULL;
  fz_fatal.jmp = NULL;
  fz_source_reset();
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t len) {
  if (len < 8)
    return 0;
  LLVMFuzzerInitialize(NULL, NULL);
  static const unsigned every[4] = {1, 8, 64, 0};
  unsigned k = every[d[0] & 3], vclass = d[1] % 8;
  size_t budget = d[0] & 4 ? (size_t)4 << 20 : (size_t)48 << 20;
  sigjmp_buf jb;
  st.inputs++;
  fz_opno = -1;
  abandon = 0;
  if (sigsetjmp(jb, 0)) {
    if (!fz_m.attacked)
      fz_finding("ALLOCATOR-FATAL", "bonbon detected \"%s\" at %p before any "
                 "attack", fz_fatal.check, fz_fatal.addr);
    st.detected++;
    discard();
    return 0;
  }
  fz_fatal.jmp = &jb;
  fz_source_begin(budget, 0);
  bb_heap_config cfg = {fz_source, 1, fz_hash(d, len), 1, fz_options(d[2])};
  bb_heap *h = bb_heap_create(&cfg);
  if (!h)
    fz_finding("NULL-RESULT", "bb_heap_create failed");
  fz_model_begin(h, 1);
  unsigned n = 0;
  for (size_t off = 8; off + 8 <= len && !abandon; off += 8) {
    fz_opno = (long)(off / 8 - 1);
    run_record(d + off, vclass);
    if (avoid_known && fz_m.attacked && !tcache_consistent())
      abandon = 2;
    if (!abandon && k && ++n % k == 0) {
      fz_check_all("periodic");
      fz_check_heap("periodic");
    }
  }
  fz_opno = -1;
  if (abandon) {
    st.luck += abandon == 1;
    discard();
    return 0;
  }
  fz_model_finish();
  if (fz_m.attacked)
    st.survived++;
  bb_heap_destroy(h);
  bb_tls_ctx = NULL;
  fz_fatal.jmp = NULL;
  if (!fz_m.attacked && fz_source_live())
    fz_finding("LEAK", "bb_heap_destroy left %zu reservations or mappings",
               fz_source_live());
  fz_source_reset();
  return 0;
}

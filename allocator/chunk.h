/* chunk.h: the chunk layout, its header word, its integrity check and the
 * encoding of free-list links. Everything else refers to the diagram here,
 * the ACSL logic in specs/ included.
 *
 * Chunks are addressed by WORD INDEX: index i names the 8-byte word at
 * address 8*i. All chunk and bin code works on indices through BB_W(i),
 * never on casted pointers. In production BB_W(i) is that word of memory;
 * in the verification build (__FRAMAC__) it is an element of one global
 * array, which is what lets Frama-C WP prove this code (see specs/).
 *
 *                    A view onto memory (one row = one 8-byte word)
 *
 *  in-use chunk c                          free chunk c (in a bin)
 *  ------------------------------          ------------------------------
 *  c      | header H (below)      |        c      | header H              |
 *  c+1    | user data  <- mem =   |        c+1    | fd  (encoded link)    |
 *  ...    |   8*(c+1), 16-aligned |        c+2    | bk  (encoded link)    |
 *  c+w-1  | user data (last word) |        ...    | (unused)              |
 *  ------------------------------          c+w-1  | footer: encoded size  |
 *  c+w    | next chunk's header   |        c+w    | next chunk's header   |
 *
 *  cached chunk (thread cache or fast bin): like in-use, but c+1 holds the
 *  encoded `next` link of its singly linked list.
 *
 *  top chunk: the last chunk of the newest segment, state TOP, never in a
 *  bin. It is followed by the FENCE: a header word (state FENCE, size 0)
 *  that ends the segment's chunk area, so every chunk has a next header.
 *
 *  mapped chunk: a chunk with its own mapping, state MAPPED. Its header is
 *  the word before the (aligned) user pointer; its true size, offset and
 *  mapping bounds live in the heap's out-of-band record (mapped.c).
 *
 *  w = size / 8 is even and c is odd, so mem = 8*(c+1) is 16-aligned.
 *  The usable size of a chunk is size - 8: the footer word of a free chunk
 *  is user data while the chunk is in use (as in ptmalloc).
 *
 *  Header word H (fields extracted arithmetically, see specs/chunk.acsl):
 *    bits  0..3   state           H % 16
 *    bits  4..35  size in bytes   H % 2^36 - H % 16   (multiple of 16)
 *    bits 36..43  slack           (H / 2^36) % 256: usable - requested
 *    bits 44..63  check           H / 2^44 == bb_mac(c, H % 2^44)
 *
 *  The check is a 20-bit keyed hash of the chunk's own index and of the
 *  44 low bits: a forged or moved header passes with probability 2^-20.
 *
 *  Links: a link to chunk v stored in word s holds v + bb_link_key(s),
 *  where the key is a secret 62-bit hash of s. Decoding subtracts the key
 *  and fails (corruption) when the stored value is smaller than the key,
 *  so a raw or glibc-style masked pointer almost never decodes.
 *
 *  Footer: a free chunk's last word holds its size encoded like a link
 *  (size + bb_link_key(c+w-1)). There is no PREV_INUSE bit: chunk n's
 *  predecessor is free exactly when word n-1 decodes to a size f and the
 *  header at n - f/8 is a valid BIN header of size f. Only the arena writes
 *  BIN headers and footers, and it clears the header of every chunk it
 *  merges away, so a valid BIN header exists only at a real free chunk.
 *  Why not a flag bit: the flag would live in the next chunk's header,
 *  which its owner rewrites without a lock on the thread-cache path; the
 *  arena could then lose an update. With the footer, the arena never
 *  writes a header it does not own.
 *
 * Flags and fields are written with % and / rather than & and >>: for
 * unsigned operands the compiler emits the same instructions, and WP can
 * reason about the arithmetic forms only.
 */
#ifndef BB_CHUNK_H
#define BB_CHUNK_H

#include <stddef.h>
#include <stdint.h>

/* BB_VHEAP: the verification build (Frama-C WP and Eva, see specs/).
 * The E-ACSL build (BB_EACSL) is also compiled by Frama-C but runs the
 * production code, so it keeps the production word space. */
#if defined(__FRAMAC__) && !defined(BB_EACSL)
#define BB_VHEAP 1
#endif

#ifdef BB_VHEAP
/* Verification build: the word space is one global array. Words below
 * BB_VFIRST hold metadata (the bin sentinels, see bb_bin_at); chunks
 * start at BB_VFIRST. */
#define BB_VWORDS 65536u
#define BB_VFIRST 1024u
#define BB_VSENTINELS 2u
extern size_t bb_vheap[BB_VWORDS];
#define BB_W(i) bb_vheap[i]
#elif defined(BB_EACSL)
/* The E-ACSL build (specs/eacsl/): every page the allocator uses comes
 * from one static array, bb_vheap, whose first word has index bb_vbase.
 * Word i is still the word at address 8i, seen through an array that
 * E-ACSL knows, so it can check every access and the contracts' W(i). */
#define BB_EWORDS ((size_t)1 << 27)
extern size_t bb_vheap[BB_EWORDS];
extern size_t bb_vbase;
#define BB_W(i) bb_vheap[(i) - bb_vbase]
#define BB_VFIRST bb_vbase
#define BB_VWORDS (bb_vbase + BB_EWORDS)
#else
#define BB_W(i) (*(size_t *)((uintptr_t)(i) * 8u))
#endif

#ifdef __FRAMAC__
/* Frama-C 25 does not know the __atomic builtins. Its analyses are
 * sequential: an atomic load is a load, an atomic store a store. */
#define __atomic_load_n(p, order) (*(p))
#define __atomic_store_n(p, v, order) ((void)(*(p) = (v)))
#endif

/* A word another thread may be writing at the same moment (a neighbour's
 * header, the last word of a neighbour in use): an atomic load, which is
 * a plain load on x86-64 and arm64. */
#ifdef __FRAMAC__
#define bb_peek(i) BB_W(i)
#else
#define bb_peek(i) __atomic_load_n(&BB_W(i), __ATOMIC_RELAXED)
#endif

#define BB_INLINE static inline __attribute__((always_inline))

/* ----------------------------------------------------------------- sizes */
#define BB_WORD 8u
#define BB_ALIGN 16u
#define BB_MINSIZE 32u                  /* header, fd, bk, footer */
#define BB_T36 ((size_t)1 << 36)
#define BB_T44 ((size_t)1 << 44)
#define BB_MAX_CHUNK (BB_T36 - BB_ALIGN) /* largest size a header holds */
#define BB_MAX_SLACK 255u
#define BB_KEY_LIMIT ((size_t)1 << 62)  /* link keys are below this */
#define BB_INDEX_LIMIT ((size_t)1 << 61) /* every word index is below this */

/* ---------------------------------------------------------------- states */
enum bb_state {
  BB_ST_INVALID = 0, /* a zeroed header is never a chunk */
  BB_ST_INUSE = 1,
  BB_ST_TCACHE = 2,  /* in a thread cache */
  BB_ST_FAST = 3,    /* in a fast bin */
  BB_ST_BIN = 4,     /* in a small or a large bin */
  BB_ST_TOP = 5,
  BB_ST_MAPPED = 6,
  BB_ST_FENCE = 7,   /* end of a segment's chunk area */
  BB_ST_QUARANTINE = 8,
  BB_ST_UNSORTED = 9, /* in the unsorted bin */
  BB_ST_DEAD = 10,    /* merged into a neighbour: a stale pointer's header */
};

/* Free in a bin: the states the arena may merge with. */
#define BB_IS_BINNED(st) ((st) == BB_ST_BIN || (st) == BB_ST_UNSORTED)

/* Secrets, derived once per heap (heap.c) and never changed after. */
struct bb_keys {
  uint64_t mac0, mac1; /* header check */
  uint64_t link;       /* link encoding */
  uint64_t canary;     /* canaries (internal.h, bb_canary_word) */
};

#ifdef __FRAMAC__
/* The ACSL logic of this file: specs/chunk.acsl, specs/link.acsl. */
#include "../specs/chunk.acsl"
#include "../specs/link.acsl"
#endif

/* ------------------------------------------------ trusted hash functions
 * These two are the only non-arithmetic code the chunk logic relies on.
 * The proofs use their contracts (results are functions of the arguments,
 * within range), listed in specs/ASSUMPTIONS.md. */

/* 20-bit header check of chunk c with low 44 header bits `low`. A
 * multiply-xorshift mix: a handful of instructions, not a cryptographic
 * MAC; one leaked header reveals 20 bits of a 64-bit mix output. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A1): a wrapping multiplication by a
    // constant and a xor, which WP cannot reason about.
    requires keys: \valid_read(k);
    assigns \nothing;
    ensures mix: \result == MacIndex(k->mac0, c);
    exits never: \false;
*/
BB_INLINE uint64_t bb_mac_index(const struct bb_keys *k, size_t c) {
  return ((uint64_t)c ^ k->mac0) * 0x9e3779b97f4a7c15ull;
}

/*@ // TRUSTED (specs/ASSUMPTIONS.md, A1): as bb_mac_index, and shifts.
    requires keys: \valid_read(k);
    assigns \nothing;
    ensures range: \result < 0x100000;
    ensures mac: \result == MacLow(k->mac1, ci, low);
    exits never: \false;
*/
BB_INLINE size_t bb_mac_low(const struct bb_keys *k, uint64_t ci, size_t low) {
  uint64_t x = (ci ^ (low + k->mac1)) * 0xd6e8feb86659fd93ull;
  x ^= x >> 32;
  return (size_t)(x >> 44);
}

/*@ requires keys: \valid_read(k);
    assigns \nothing;
    ensures range: \result < 0x100000;
    ensures mac: \result == MacOf(k, c, low);
    exits never: \false;
*/
BB_INLINE size_t bb_mac(const struct bb_keys *k, size_t c, size_t low) {
  return bb_mac_low(k, bb_mac_index(k, c), low);
}

/* Key of the link stored in word s: below 2^62. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A2): as bb_mac.
    requires keys: \valid_read(k);
    assigns \nothing;
    ensures range: \result < KeyLimit;
    ensures key: \result == Key(k, s);
    exits never: \false;
*/
BB_INLINE size_t bb_link_key(const struct bb_keys *k, size_t s) {
  return (size_t)((((uint64_t)s ^ k->link) * 0xbf58476d1ce4e5b9ull) >> 2);
}

/* --------------------------------------------------------- header fields */
/*@ assigns \nothing;
    ensures state: \result == HState(h);
    ensures range: \result < 16;
    exits never: \false;
*/
BB_INLINE size_t bb_h_state(size_t h) { return h % 16; }

/*@ assigns \nothing;
    ensures size: \result == HSize(h);
    ensures aligned: \result % 16 == 0;
    ensures range: \result < T36;
    exits never: \false;
*/
BB_INLINE size_t bb_h_size(size_t h) { return h % BB_T36 - h % 16; }

/*@ assigns \nothing;
    ensures slack: \result == HSlack(h);
    ensures range: \result < 256;
    exits never: \false;
*/
BB_INLINE size_t bb_h_slack(size_t h) { return (h / BB_T36) % 256; }

/*@ assigns \nothing;
    ensures low: \result == HLow(h);
    exits never: \false;
*/
BB_INLINE size_t bb_h_low(size_t h) { return h % BB_T44; }

/* The header word for chunk c with the given fields. */
/*@ requires keys: \valid_read(k);
    requires state: state < 16;
    requires size: size % 16 == 0 && size < T36;
    requires slack: slack <= BB_MAX_SLACK;
    assigns \nothing;
    ensures fields: HState(\result) == state && HSize(\result) == size &&
                    HSlack(\result) == slack;
    ensures check: HeaderCheck(k, c, \result);
    exits never: \false;
*/
BB_INLINE size_t bb_h_make(const struct bb_keys *k, size_t c, size_t state,
                           size_t size, size_t slack) {
  size_t low = state + size + slack * BB_T36;
  size_t check = bb_mac(k, c, low);
  //@ assert low: HState(low) == state && HSize(low) == size && low < T44;
  //@ assert slack: (low + check * T44) / T36 == slack + check * 256;
  //@ assert check: (low + check * T44) / T44 == check;
  //@ assert low_bits: (low + check * T44) % T44 == low;
  return low + check * BB_T44;
}

/* INV-CHUNK-HEADER (integrity part): the check bits match. */
/*@ requires keys: \valid_read(k);
    assigns \nothing;
    ensures bool: \result == 0 || \result == 1;
    ensures check: \result == 1 <==> HeaderCheck(k, c, h);
    exits never: \false;
*/
BB_INLINE int bb_h_ok(const struct bb_keys *k, size_t c, size_t h) {
  return h / BB_T44 == bb_mac(k, c, bb_h_low(h));
}

/*@ requires keys: \valid_read(k);
    requires word: Word(c);
    requires state: state < 16;
    requires size: size % 16 == 0 && size < T36;
    requires slack: slack <= BB_MAX_SLACK;
    assigns W(c);
    ensures header: HeaderIs(k, c, state, size, slack);
    exits never: \false;
*/
BB_INLINE void bb_set_head(const struct bb_keys *k, size_t c, size_t state,
                           size_t size, size_t slack) {
  BB_W(c) = bb_h_make(k, c, state, size, slack);
}

/* Check header x of chunk c and, when it is valid, return the header
 * with new fields (0 when x is invalid). Both share the part of the hash
 * that depends on c: the hot paths check and rewrite the same header. */
/*@ requires keys: \valid_read(k);
    requires state: state < 16;
    requires size: size % 16 == 0 && size < T36;
    requires slack: slack <= BB_MAX_SLACK;
    assigns \nothing;
    exits never: \false;
    behavior valid:
      assumes check: HeaderCheck(k, c, x);
      ensures fields: HState(\result) == state && HSize(\result) == size &&
                      HSlack(\result) == slack;
      ensures check: HeaderCheck(k, c, \result);
    behavior invalid:
      assumes check: !HeaderCheck(k, c, x);
      ensures zero: \result == 0;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE size_t bb_h_check_remake(const struct bb_keys *k, size_t c,
                                   size_t x, size_t state, size_t size,
                                   size_t slack) {
  uint64_t ci = bb_mac_index(k, c);
  size_t low = state + size + slack * BB_T36;
  if (x / BB_T44 != bb_mac_low(k, ci, bb_h_low(x)))
    return 0;
  size_t check = bb_mac_low(k, ci, low);
  //@ assert low: HState(low) == state && HSize(low) == size && low < T44;
  //@ assert slack: (low + check * T44) / T36 == slack + check * 256;
  //@ assert check: (low + check * T44) / T44 == check;
  //@ assert low_bits: (low + check * T44) % T44 == low;
  return low + check * BB_T44;
}

/* The header of a chunk merged into a neighbour: valid, so that a later
 * free of its stale pointer is reported as a double free, and never a
 * state the arena merges with or hands out. */
/*@ requires keys: \valid_read(k);
    requires word: Word(c);
    assigns W(c);
    ensures header: HeaderIs(k, c, StDead, 0, 0);
    ensures not_free: !FreeState(HState(W(c)));
    exits never: \false;
*/
BB_INLINE void bb_bury(const struct bb_keys *k, size_t c) {
  bb_set_head(k, c, BB_ST_DEAD, 0, 0);
}

/* ------------------------------------------------------------------ links */
/*@ requires keys: \valid_read(k);
    requires index: v < BB_INDEX_LIMIT;
    assigns \nothing;
    ensures link: \result == v + Key(k, s);
    exits never: \false;
*/
BB_INLINE size_t bb_link_enc(const struct bb_keys *k, size_t s, size_t v) {
  return v + bb_link_key(k, s);
}

/* Decode the link in word s into *v. Returns 0, or -1 when the stored
 * value cannot be an encoding (corruption). */
/*@ requires keys: \valid_read(k);
    requires out: \valid(v) && \separated(v, k);
    assigns *v;
    exits never: \false;
    behavior decodes:
      assumes Key(k, s) <= e && e - Key(k, s) < IndexLimit;
      ensures value: *v == e - Key(k, s);
      ensures ok: \result == 0;
    behavior corrupt:
      assumes !(Key(k, s) <= e && e - Key(k, s) < IndexLimit);
      ensures unchanged: *v == \old(*v);
      ensures fail: \result == -1;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE int bb_link_dec_word(const struct bb_keys *k, size_t s, size_t e,
                               size_t *v) {
  size_t key = bb_link_key(k, s);
  if (e < key || e - key >= BB_INDEX_LIMIT)
    return -1;
  *v = e - key;
  return 0;
}

/*@ requires keys: \valid_read(k);
    requires word: Word(s);
    requires out: \valid(v) && \separated(v, k);
    assigns *v;
    exits never: \false;
    behavior decodes:
      assumes LinkDecodes(k, s);
      ensures value: *v == Dec(k, s);
      ensures ok: \result == 0;
    behavior corrupt:
      assumes !LinkDecodes(k, s);
      ensures unchanged: *v == \old(*v);
      ensures fail: \result == -1;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE int bb_link_dec(const struct bb_keys *k, size_t s, size_t *v) {
  return bb_link_dec_word(k, s, BB_W(s), v);
}

/* ---------------------------------------------------- index <-> pointer
 * The trusted boundary between indices and pointers. */
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A3): a pointer-to-integer cast.
    assigns \nothing;
    exits never: \false;
*/
BB_INLINE size_t bb_mem2chunk(const void *p) {
  return (size_t)((uintptr_t)p / 8u) - 1u;
}
/*@ // TRUSTED (specs/ASSUMPTIONS.md, A3): an integer-to-pointer cast.
    assigns \nothing;
    exits never: \false;
*/
BB_INLINE void *bb_chunk2mem(size_t c) {
  return (void *)(uintptr_t)((c + 1u) * 8u);
}

/* Chunk size for a request of n bytes (and `extra` bytes the allocator
 * keeps after it, e.g. a canary): max(MINSIZE, round16(n + extra + 8)).
 * Returns 0 when the result would not fit a header (overflow). */
/*@ requires extra: extra <= BB_MAX_CHUNK - BB_ALIGN;
    assigns \nothing;
    ensures value: \result == Request2Size(n, extra);
    exits never: \false;
    behavior too_big:
      assumes n + extra > MaxChunk - 16;
      ensures zero: \result == 0;
    behavior fits:
      assumes n + extra <= MaxChunk - 16;
      ensures holds: \result >= n + extra + BB_WORD;
      ensures tight: \result == BB_MINSIZE || \result < n + extra + BB_WORD + 16;
      ensures aligned: \result % 16 == 0;
      ensures range: BB_MINSIZE <= \result <= MaxChunk;
    complete behaviors;
    disjoint behaviors;
*/
BB_INLINE size_t bb_request2size(size_t n, size_t extra) {
  if (n > BB_MAX_CHUNK - BB_ALIGN - extra)
    return 0;
  size_t s = n + extra + BB_WORD + (BB_ALIGN - 1);
  s = s - s % BB_ALIGN;
  return s < BB_MINSIZE ? BB_MINSIZE : s;
}

#endif /* BB_CHUNK_H */

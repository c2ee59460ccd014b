/* driver.c: Eva's bounded driver over the production core (issue 4).
 *
 * One arena of the verification build (BB_VHEAP: the word space is the
 * array bb_vheap, chunk.h) with one segment of SEG_WORDS words, fixed
 * keys, zero-on-free on. The driver runs STEPS steps; each picks one of
 * SLOTS slots and, on an empty slot, malloc of one of the SIZES, on a
 * full slot free or realloc to one of the SIZES (grow in place, shrink, or
 * move). Every choice is split and the loop unrolled, so Eva explores
 * every sequence in that space, each with exact values.
 *
 * The property: no undefined behaviour (Eva's alarms), and no hardening
 * check fires on a legitimate sequence: bb_fatal asserts \false, so a
 * reachable fatal path is an alarm too. specs/eva/run.sh runs it, and
 * again with a planted bug (-DBB_PLANT_BUG=1: split puts the remainder 16
 * bytes early), which must raise at least one alarm. */
#include "__fc_builtin.h"
#include <stdlib.h>

#include "internal.h"

#ifndef SLOTS
#define SLOTS 2
#endif
#ifndef STEPS
#define STEPS 4
#endif
#define SEG_WORDS 4096u /* 32 KiB: the top never runs out */

size_t bb_vheap[BB_VWORDS];

static struct bb_sealed ro;
static struct bb_heap heap;
static struct bb_arena arena;
static struct bb_segment seg, *leaf[BB_REG_L2_SIZE];

/* ------------------------------------------------ stubs of other files */
void bb_fatal(const char *check, const void *addr) {
  (void)check;
  (void)addr;
  //@ assert no_fatal: \false;
  abort();
}
void bb_lock_init(bb_lock_t *l) { *l = 0; }
/* The one segment cannot grow, and there is no other. */
int bb_segment_grow(struct bb_arena *a, struct bb_segment *s, size_t bytes) {
  (void)a, (void)s, (void)bytes;
  return -1;
}
struct bb_segment *bb_segment_new(struct bb_arena *a, size_t need) {
  (void)a, (void)need;
  return NULL;
}
size_t bb_segment_shrink(struct bb_arena *a, struct bb_segment *s,
                         size_t keep) {
  (void)a, (void)s, (void)keep;
  return 0;
}
void bb_segment_release(struct bb_arena *a, struct bb_segment *s) {
  (void)a, (void)s;
}

/* --------------------------------------------------------------- setup */
static void setup(void) {
  ro.keys.mac0 = 0x243f6a8885a308d3u;
  ro.keys.mac1 = 0x13198a2e03707344u;
  ro.keys.link = 0xa4093822299f31d0u;
  ro.page = 4096;
  ro.zero_max = 64;
  heap.ro = &ro;
  heap.reg[0] = leaf;
  heap.mmap_threshold = (size_t)-1;
  heap.trim_threshold = (size_t)-1;
  bb_arena_init(&arena, &heap, 0);
  /* The segment: chunks from BB_VFIRST + 1 (odd: the header is the word
   * before the 16-byte aligned memory), the fence at the end. */
  seg.first = BB_VFIRST + 1;
  seg.end = seg.first + SEG_WORDS;
  seg.limit = seg.end;
  seg.arena = &arena;
  leaf[0] = &seg;
  bb_set_head(arena.k, seg.first, BB_ST_TOP, SEG_WORDS * 8u, 0);
  bb_set_head(arena.k, seg.end, BB_ST_FENCE, 0, 0);
  arena.top = seg.first;
  arena.top_seg = &seg;
  arena.segs = &seg;
}

static const size_t SIZES[3] = {24, 100, 1100}; /* fast, small, large */

/* The chunk the driver holds in a slot, of `size` bytes for n. */
struct slot {
  size_t c, size;
};

static void do_malloc(struct slot *sl, size_t n) {
  size_t nb = bb_request2size(n, 0);
  size_t c = bb_arena_malloc(&arena, nb, n, NULL, 0);
  if (c == 0 || c == BB_USE_MAP || c == BB_USE_TCACHE)
    return;
  sl->c = c;
  sl->size = bb_h_size(BB_W(c));
  BB_W(c + 1) = 0xAA; /* the user writes its first and last word */
  BB_W(c + bb_h_size(BB_W(c)) / 8 - 1) = 0xBB;
}

/* As api.c does before freeing: check the header, clear the user's
 * words when the chunk will be zeroed. */
static void do_free(struct slot *sl) {
  size_t h = bb_check_head(arena.k, sl->c, BB_ST_INUSE, "free");
  size_t size = bb_h_size(h);
  int zeroed = size <= ro.zero_max;
  if (zeroed)
    bb_zero_words(sl->c + 1, sl->c + size / 8);
  bb_arena_free(&arena, &seg, sl->c, size, zeroed);
  sl->c = 0;
}

static void do_realloc(struct slot *sl, size_t n) {
  size_t nb = bb_request2size(n, 0);
  size_t size = bb_h_size(bb_check_head(arena.k, sl->c, BB_ST_INUSE, "realloc"));
  if (nb + BB_MINSIZE <= size) {
    bb_arena_shrink(&arena, &seg, sl->c, size, nb, n);
  } else if (nb > size &&
             bb_arena_grow_in_place(&arena, &seg, sl->c, size, nb, n)) {
  } else if (nb > size) {
    struct slot moved = {0, 0};
    do_malloc(&moved, n);
    if (moved.c == 0)
      return;
    do_free(sl);
    *sl = moved;
    return;
  }
  sl->size = bb_h_size(BB_W(sl->c));
}

int main(void) {
  struct slot slot[SLOTS] = {{0, 0}};
  setup();
  //@ loop unroll STEPS;
  for (int step = 0; step < STEPS; step++) {
    int k = Frama_C_interval(0, SLOTS - 1);
    //@ split k;
    int z = Frama_C_interval(0, 2);
    //@ split z;
    if (!slot[k].c) {
      do_malloc(&slot[k], SIZES[z]);
    } else {
      int op = Frama_C_interval(0, 1);
      //@ split op;
      if (op == 0)
        do_free(&slot[k]);
      else
        do_realloc(&slot[k], SIZES[z]);
    }
  }
  return 0;
}

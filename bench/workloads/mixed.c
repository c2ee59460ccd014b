/* mixed.c: mixed sizes up to 1 MiB, with realloc growth.
 *
 *   mixed [ops] [slots]
 *
 * A table of slots, each empty or holding one block. Each step picks a slot
 * at random: an empty slot gets a new block; a full one is grown with
 * realloc (half the time), shrunk with realloc (one time in ten) or freed.
 * New sizes are mostly small (90% 16 B..1 KiB, 9% ..64 KiB, 1% ..1 MiB),
 * and growth by 1.5x makes some of them climb to 1 MiB, the way buffers,
 * vectors and strings grow in real programs. This reaches every tier of an
 * allocator: the thread cache, the bins, splitting and merging, growth in
 * place, and mapped chunks.
 *
 * realloc must keep the old contents: a grown block still carries its old
 * stamp, checked before it is restamped at the new size.
 */
#include "bench.h"

#define MAX_SIZE ((size_t)1 << 20)

struct slot {
  void *p;
  size_t n;
  uint64_t tag;
};

static size_t new_size(rng_t *r) {
  size_t pick = rng_below(r, 100);
  if (pick < 90)
    return rng_size(r, 16, 1024);
  if (pick < 99)
    return rng_size(r, 1025, 64 * 1024);
  return rng_size(r, 64 * 1024 + 1, MAX_SIZE);
}

/* After realloc to m bytes, the first min(n, m) bytes of the old block must
 * be there: the whole old stamp when growing, its first two words when
 * shrinking (m >= 16). */
static void check_kept(const struct slot *s, size_t m) {
  const uint64_t *w = s->p;
  if (m >= s->n) {
    if (stamp_check(s->p, s->n) != s->tag)
      bench_fail("realloc %p: tag changed", s->p);
  } else if (w[0] != s->tag || w[1] != s->n) {
    bench_fail("realloc %p: contents lost when shrinking", s->p);
  }
}

int main(int argc, char **argv) {
  long ops = arg_long(argc, argv, 1, 4000000);
  long nslots = arg_long(argc, argv, 2, 2000);
  struct slot *slot = calloc((size_t)nslots, sizeof *slot);
  rng_t r = {7};
  uint64_t digest = 0, tag = 1;
  long reallocs = 0;
  if (!slot)
    bench_fail("calloc");
  for (long i = 0; i < ops; i++) {
    struct slot *s = &slot[rng_below(&r, (size_t)nslots)];
    if (!s->p) {
      s->n = new_size(&r);
      s->p = bench_xmalloc(s->n);
      s->tag = tag++;
      stamp(s->p, s->n, s->tag);
      continue;
    }
    size_t pick = rng_below(&r, 10), m;
    if (pick < 5 && s->n < MAX_SIZE) {
      m = s->n + s->n / 2 + rng_below(&r, 64);
      m = m > MAX_SIZE ? MAX_SIZE : m;
    } else if (pick == 5 && s->n >= 64) {
      m = s->n / 2;
    } else {
      digest += stamp_check(s->p, s->n);
      free(s->p);
      s->p = NULL;
      continue;
    }
    void *q = realloc(s->p, m);
    if (!q)
      bench_fail("realloc(%zu) returned NULL", m);
    s->p = q;
    check_kept(s, m);
    s->n = m;
    stamp(s->p, s->n, s->tag);
    reallocs++;
  }
  for (long k = 0; k < nslots; k++) {
    if (slot[k].p) {
      digest += stamp_check(slot[k].p, slot[k].n);
      free(slot[k].p);
    }
  }
  free(slot);
  metric("reallocs", (double)reallocs, "count");
  check_ok(digest);
  return 0;
}

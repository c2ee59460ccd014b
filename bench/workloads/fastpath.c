/* fastpath.c: nanoseconds per malloc+free pair on the fast path.
 *
 *   fastpath [pairs]
 *
 * Each pair mallocs a small block, writes and reads one word of it, and
 * frees it, so every allocator serves it from its thread-local cache: what
 * is measured is the cost of the fast path itself (size-class lookup,
 * cache pop and push, and whatever checks the allocator makes on them).
 * Two loops: `ns_per_pair` with a fixed 32-byte request, and
 * `ns_per_pair_mixed` cycling through 16, 32, ..., 128 bytes.
 *
 * The machine is shared, so each loop runs in 20 slices and reports the
 * fastest slice: interference only ever adds time, and the minimum is the
 * estimate least disturbed by it. The runner still reports CPU time for
 * the whole run, like any other workload.
 */
#include "bench.h"

#define SLICES 20

/* One slice of `pairs` pairs; sizes cycle through mask+1 classes of 16
 * bytes starting at `base`. Returns the sum of the words read back. */
static uint64_t slice(long pairs, size_t base, size_t mask, long first) {
  uint64_t sum = 0;
  for (long i = first; i < first + pairs; i++) {
    volatile uint64_t *p = malloc(base + 16 * ((size_t)i & mask));
    if (!p)
      bench_fail("malloc returned NULL");
    *p = (uint64_t)i;
    sum += *p;
    free((void *)p);
  }
  return sum;
}

/* Best ns per pair over SLICES slices; adds what was read to *digest. */
static double best_ns(long pairs, size_t base, size_t mask,
                      uint64_t *digest) {
  long per = pairs / SLICES;
  double best = 1e30;
  slice(per, base, mask, 0); /* warm the caches */
  for (int s = 0; s < SLICES; s++) {
    uint64_t t0 = now_ns();
    uint64_t sum = slice(per, base, mask, (long)s * per);
    double ns = (double)(now_ns() - t0) / (double)per;
    /* the sum of i over [lo, hi); lo * (lo - 1) wraps to 0 for lo = 0 */
    uint64_t lo = (uint64_t)s * (uint64_t)per, hi = lo + (uint64_t)per;
    if (sum != (hi * (hi - 1) - lo * (lo - 1)) / 2)
      bench_fail("fast path: wrong value read back from a block");
    *digest += sum;
    best = ns < best ? ns : best;
  }
  return best;
}

int main(int argc, char **argv) {
  long pairs = arg_long(argc, argv, 1, 100000000);
  uint64_t digest = 0;
  double fixed = best_ns(pairs, 32, 0, &digest);
  double mixed = best_ns(pairs, 16, 7, &digest);
  metric("ns_per_pair", fixed, "ns");
  metric("ns_per_pair_mixed", mixed, "ns");
  check_ok(digest);
  return 0;
}

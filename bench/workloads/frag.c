/* frag.c: fragmentation, measured as resident memory.
 *
 *   frag [blocks]
 *
 * 1. Allocate `blocks` small blocks (16..512 bytes): the peak.
 * 2. Free 90% of them in random order, keeping a random 10% alive, spread
 *    over the whole heap. An allocator that cannot return partly used
 *    pages (or segments, or spans) keeps most of the peak resident.
 * 3. Allocate blocks of a different size range (1..4 KiB) adding up to half
 *    of what was freed: can the freed small-block memory serve them, or
 *    does the heap grow?
 * Reported: `peak_rss_kib` after step 1, `final_rss_kib` after step 2 (the
 * fragmented state) and `reuse_rss_kib` after step 3. RSS is read from
 * /proc/self/statm, so it counts what the kernel holds for the process,
 * whatever the allocator believes it has released.
 */
#include "bench.h"

struct blk {
  void *p;
  size_t n;
};

int main(int argc, char **argv) {
  long nblocks = arg_long(argc, argv, 1, 1500000);
  struct blk *b = bench_xmalloc((size_t)nblocks * sizeof *b);
  size_t *order = bench_xmalloc((size_t)nblocks * sizeof *order);
  rng_t r = {2024};
  uint64_t digest = 0;
  size_t freed = 0;

  for (long i = 0; i < nblocks; i++) {
    b[i].n = rng_size(&r, 16, 512);
    b[i].p = bench_xmalloc(b[i].n);
    stamp(b[i].p, b[i].n, (uint64_t)i + 1);
    order[i] = (size_t)i;
  }
  long peak = rss_kib();

  /* Fisher-Yates: free the first 90% of a random permutation. */
  for (long i = nblocks - 1; i > 0; i--) {
    size_t j = rng_below(&r, (size_t)i + 1), t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  long nfree = nblocks - nblocks / 10;
  for (long i = 0; i < nfree; i++) {
    struct blk *x = &b[order[i]];
    digest += stamp_check(x->p, x->n);
    free(x->p);
    freed += x->n;
    x->p = NULL;
  }
  long fragmented = rss_kib();

  /* Reuse: new blocks of another size range, half the freed bytes. */
  size_t cap = freed / 2 / 1024 + 1, nnew = 0, bytes = 0;
  struct blk *nb = bench_xmalloc(cap * sizeof *nb);
  while (bytes < freed / 2 && nnew < cap) {
    size_t n = rng_size(&r, 1024, 4096);
    nb[nnew].p = bench_xmalloc(n);
    nb[nnew].n = n;
    stamp(nb[nnew].p, n, ((uint64_t)1 << 40) + nnew + 1);
    bytes += n;
    nnew++;
  }
  long reuse = rss_kib();

  for (size_t i = 0; i < nnew; i++) {
    digest += stamp_check(nb[i].p, nb[i].n);
    free(nb[i].p);
  }
  for (long i = 0; i < nblocks; i++) {
    if (b[i].p) {
      digest += stamp_check(b[i].p, b[i].n);
      free(b[i].p);
    }
  }
  free(nb);
  free(order);
  free(b);
  metric("peak_rss_kib", (double)peak, "KiB");
  metric("final_rss_kib", (double)fragmented, "KiB");
  metric("reuse_rss_kib", (double)reuse, "KiB");
  check_ok(digest);
  return 0;
}

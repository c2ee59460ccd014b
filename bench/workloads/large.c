/* large.c: large blocks of 5-25 MiB, allocated and freed repeatedly.
 *
 *   large [rounds] [live]
 *
 * A ring of `live` blocks (default 4): each round frees the oldest and
 * allocates a new one of 5..25 MiB, touching every page (the stamp writes
 * one word per 4 KiB). Blocks this large are beyond every allocator's
 * size classes, so what is measured is the policy for big memory: map and
 * unmap each block (a page fault per page, every round), keep freed
 * mappings for reuse, or serve them from a heap whose mmap threshold has
 * grown (glibc raises it up to 32 MiB after the first free). The cost of
 * a fresh page shows as system time, which is why the runner reports
 * user+sys.
 */
#include "bench.h"

#define MIB ((size_t)1 << 20)

int main(int argc, char **argv) {
  long rounds = arg_long(argc, argv, 1, 400);
  long live = arg_long(argc, argv, 2, 4);
  void **blk = calloc((size_t)live, sizeof *blk);
  size_t *len = calloc((size_t)live, sizeof *len);
  rng_t r = {99};
  uint64_t digest = 0;
  if (!blk || !len)
    bench_fail("calloc");
  for (long i = 0; i < rounds; i++) {
    long k = i % live;
    if (blk[k]) {
      digest += stamp_check(blk[k], len[k]);
      free(blk[k]);
    }
    len[k] = 5 * MIB + rng_below(&r, 20 * MIB + 1);
    blk[k] = bench_xmalloc(len[k]);
    stamp(blk[k], len[k], (uint64_t)i + 1);
  }
  for (long k = 0; k < live; k++) {
    if (blk[k]) {
      digest += stamp_check(blk[k], len[k]);
      free(blk[k]);
    }
  }
  free(len);
  free(blk);
  check_ok(digest);
  return 0;
}

/* churn.c: small-object churn on one thread, in three orders.
 *
 *   churn now  [ops]          malloc, stamp, verify, free at once
 *   churn lifo [ops] [batch]  a batch of mallocs, freed newest first
 *   churn fifo [ops] [batch]  a batch of mallocs, freed oldest first
 *
 * Sizes are 16..512 bytes, log-uniform. `now` measures the thread cache's
 * best case: every free feeds the next malloc. LIFO batches return blocks in
 * the order a stack (or a bin kept LIFO) wants them; FIFO batches free the
 * oldest first, which defeats a cache that holds only the last few frees
 * and makes the allocator reach its bins. A batch (1000 blocks, ~150 KiB)
 * is larger than any thread cache but fits in L2.
 */
#include "bench.h"

static uint64_t churn_now(rng_t *r, long ops) {
  uint64_t digest = 0;
  for (long i = 0; i < ops; i++) {
    size_t n = rng_size(r, 16, 512);
    void *p = bench_xmalloc(n);
    stamp(p, n, (uint64_t)i + 1);
    digest += stamp_check(p, n);
    free(p);
  }
  return digest;
}

static uint64_t churn_batch(rng_t *r, long ops, long batch, int lifo) {
  void **blk = bench_xmalloc((size_t)batch * sizeof *blk);
  size_t *len = bench_xmalloc((size_t)batch * sizeof *len);
  uint64_t digest = 0, tag = 1;
  for (long done = 0; done < ops; done += batch) {
    for (long j = 0; j < batch; j++) {
      len[j] = rng_size(r, 16, 512);
      blk[j] = bench_xmalloc(len[j]);
      stamp(blk[j], len[j], tag++);
    }
    for (long j = 0; j < batch; j++) {
      long k = lifo ? batch - 1 - j : j;
      digest += stamp_check(blk[k], len[k]);
      free(blk[k]);
    }
  }
  free(len);
  free(blk);
  return digest;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  long ops = arg_long(argc, argv, 2, 20000000);
  long batch = arg_long(argc, argv, 3, 1000);
  rng_t r = {42};
  uint64_t digest;
  if (strcmp(mode, "now") == 0)
    digest = churn_now(&r, ops);
  else if (strcmp(mode, "lifo") == 0 || strcmp(mode, "fifo") == 0)
    digest = churn_batch(&r, ops, batch, mode[0] == 'l');
  else {
    fprintf(stderr, "usage: churn now|lifo|fifo [ops] [batch]\n");
    return 2;
  }
  check_ok(digest);
  return 0;
}

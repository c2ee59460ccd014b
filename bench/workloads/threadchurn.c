/* threadchurn.c: threads created and exiting while holding memory.
 *
 *   threadchurn [waves] [threads per wave] [blocks per thread]
 *
 * The main thread runs waves of short-lived threads. Thread t of a wave
 * frees the blocks that thread t of the previous wave left behind, then
 * allocates its own blocks (16..2048 bytes), frees every other one, and
 * exits still holding the rest. So each thread starts with an empty cache,
 * frees memory it did not allocate, and dies with a warm cache and live
 * blocks: what an allocator does at thread start and exit (binding to an
 * arena, flushing or adopting the cache, reusing the thread's metadata)
 * is on the measured path, and memory a dead thread held must still be
 * freeable and reusable.
 */
#include <pthread.h>

#include "bench.h"

struct held {
  void **blk;
  size_t count;
};

struct job {
  struct held *in, *out;  /* what the previous wave left, what we leave */
  long nblocks;
  uint64_t seed, digest;
};

static void *run(void *arg) {
  struct job *j = arg;
  rng_t r = {j->seed};
  uint64_t digest = 0;
  for (size_t i = 0; i < j->in->count; i++) {
    digest += stamp_check(j->in->blk[i], 0);
    free(j->in->blk[i]);
  }
  free(j->in->blk);
  j->in->blk = NULL;
  j->in->count = 0;

  void **blk = bench_xmalloc((size_t)j->nblocks * sizeof *blk);
  size_t kept = 0;
  for (long i = 0; i < j->nblocks; i++) {
    size_t n = rng_size(&r, 16, 2048);
    void *p = bench_xmalloc(n);
    stamp(p, n, (j->seed << 24) + (uint64_t)i + 1);
    if (i % 2) {
      digest += stamp_check(p, n);
      free(p);
    } else {
      blk[kept++] = p;
    }
  }
  j->out->blk = blk;
  j->out->count = kept;
  j->digest = digest;
  return NULL;
}

int main(int argc, char **argv) {
  long waves = arg_long(argc, argv, 1, 3000);
  long nthreads = arg_long(argc, argv, 2, 4);
  long nblocks = arg_long(argc, argv, 3, 400);
  /* Two generations of hand-over lists, swapped every wave. */
  struct held *gen[2];
  struct job *job = calloc((size_t)nthreads, sizeof *job);
  pthread_t *th = calloc((size_t)nthreads, sizeof *th);
  gen[0] = calloc((size_t)nthreads, sizeof *gen[0]);
  gen[1] = calloc((size_t)nthreads, sizeof *gen[1]);
  if (!job || !th || !gen[0] || !gen[1])
    bench_fail("calloc");
  uint64_t digest = 0;
  for (long w = 0; w < waves; w++) {
    for (long t = 0; t < nthreads; t++) {
      job[t] = (struct job){.in = &gen[w % 2][t], .out = &gen[(w + 1) % 2][t],
                            .nblocks = nblocks,
                            .seed = (uint64_t)(w * nthreads + t + 1)};
      if (pthread_create(&th[t], NULL, run, &job[t]) != 0)
        bench_fail("pthread_create");
    }
    for (long t = 0; t < nthreads; t++) {
      pthread_join(th[t], NULL);
      digest += job[t].digest;
    }
  }
  struct held *last = gen[waves % 2];
  for (long t = 0; t < nthreads; t++) {
    for (size_t i = 0; i < last[t].count; i++) {
      digest += stamp_check(last[t].blk[i], 0);
      free(last[t].blk[i]);
    }
    free(last[t].blk);
  }
  free(gen[0]);
  free(gen[1]);
  free(th);
  free(job);
  check_ok(digest);
  return 0;
}

/* larson.c: a server whose threads free objects other threads allocated.
 *
 *   larson [ops per thread] [threads] [slots]
 *
 * The idea is Larson and Krishnan's (1998) server model: many threads
 * share a pool of live objects, and an object is usually freed by a thread
 * other than the one that allocated it. Here the pool is one array of
 * slots; each step allocates a block of 16..1024 bytes, stamps it, swaps it
 * into a random slot with an atomic exchange, and verifies and frees the
 * block it displaced. With T threads, (T-1)/T of the frees are remote, so
 * the allocator's path for foreign blocks (ownership lookup, arena locks,
 * remote-free queues) dominates, not its thread-local fast path.
 *
 * The digest is the sum of the tags of all blocks ever allocated: each is
 * verified exactly once, by whoever displaces it or by the final drain,
 * whatever the interleaving.
 */
#include <pthread.h>

#include "bench.h"

static void **slots; /* accessed with __atomic builtins while threads run */
static long nslots, ops;

struct worker {
  pthread_t th;
  unsigned id;
  uint64_t digest;
};

static void *work(void *arg) {
  struct worker *w = arg;
  rng_t r = {1000u + w->id};
  uint64_t digest = 0;
  for (long i = 0; i < ops; i++) {
    size_t n = rng_size(&r, 16, 1024);
    void *p = bench_xmalloc(n);
    stamp(p, n, ((uint64_t)w->id << 40) + (uint64_t)i + 1);
    void *old = __atomic_exchange_n(&slots[rng_below(&r, (size_t)nslots)], p,
                                    __ATOMIC_ACQ_REL);
    if (old) {
      digest += stamp_check(old, 0);
      free(old);
    }
  }
  w->digest = digest;
  return NULL;
}

int main(int argc, char **argv) {
  ops = arg_long(argc, argv, 1, 2500000);
  long nthreads = arg_long(argc, argv, 2, 4);
  nslots = arg_long(argc, argv, 3, 10000);
  slots = calloc((size_t)nslots, sizeof *slots);
  struct worker *w = calloc((size_t)nthreads, sizeof *w);
  if (!slots || !w)
    bench_fail("calloc");
  for (long t = 0; t < nthreads; t++) {
    w[t].id = (unsigned)t;
    if (pthread_create(&w[t].th, NULL, work, &w[t]) != 0)
      bench_fail("pthread_create");
  }
  uint64_t digest = 0;
  for (long t = 0; t < nthreads; t++) {
    pthread_join(w[t].th, NULL);
    digest += w[t].digest;
  }
  for (long k = 0; k < nslots; k++) {
    if (slots[k]) {
      digest += stamp_check(slots[k], 0);
      free(slots[k]);
    }
  }
  free(w);
  free(slots);
  check_ok(digest);
  return 0;
}

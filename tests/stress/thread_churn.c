/* thread_churn: 2000 threads created and joined one after another, each
 * allocating and freeing with a quarantine (BONBON_OPTIONS, set by ctest).
 * A thread's context, its cached chunks and its quarantine go back when it
 * exits, and the next thread reuses them: the metadata the heap holds must
 * not grow with the number of threads that have ever run. */
#include <bonbon.h>
#include <pthread.h>
#include <string.h>

#include "../test.h"
#include "internal.h" /* to count the heap's metadata blocks */

static void *worker(void *arg) {
  uint64_t r = (uint64_t)(uintptr_t)arg;
  void *keep[32];
  for (int i = 0; i < 32; i++) {
    keep[i] = bb_malloc(16 + t_rand(&r) % 900);
    memset(keep[i], i, 16);
  }
  for (int i = 0; i < 32; i++)
    bb_free(keep[i]);
  return NULL;
}

/* Called while no other thread runs: no lock needed. */
static size_t meta_blocks(struct bb_heap *h) {
  size_t n = 0;
  for (struct bb_meta_block *m = h->meta_blocks; m; m = m->next)
    n++;
  return n;
}

static void wave(int n) {
  for (int i = 0; i < n; i++) {
    pthread_t t;
    CHECK(pthread_create(&t, NULL, worker, (void *)(uintptr_t)(i + 1)) == 0);
    CHECK(pthread_join(t, NULL) == 0);
  }
}

int main(void) {
  struct bb_heap *h = bb_process_heap();
  CHECKF(h->ro->quarantine > 0, "run with BONBON_OPTIONS=quarantine_kb=...");
  wave(100); /* warm up: contexts and rings exist from here on */
  size_t before = meta_blocks(h);
  struct bb_mallinfo2 m0 = bb_mallinfo2();
  wave(2000);
  size_t after = meta_blocks(h);
  struct bb_mallinfo2 m1 = bb_mallinfo2();
  CHECKF(after == before, "metadata blocks grew from %zu to %zu", before, after);
  CHECKF(m1.uordblks <= m0.uordblks + 4096, "in use grew from %zu to %zu",
         m0.uordblks, m1.uordblks);
  bb_check_report rep;
  CHECKF(bb_heap_check(h, &rep) == 0, "%s: %s", rep.invariant, rep.detail);
  printf("thread_churn: 2100 threads; metadata blocks %zu -> %zu; in use %zu -> "
         "%zu bytes\n", before, after, m0.uordblks, m1.uordblks);
  return 0;
}

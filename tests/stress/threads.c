/* threads: producer/consumer with cross-thread frees on the process heap.
 *
 * usage: threads [ops-per-thread]   (default 1000000; 8 threads)
 *
 * Four producers allocate blocks of mixed sizes, stamp them, and hand them
 * over queues to four consumers, which check the stamp and every byte and
 * free them: most frees happen on a thread (and arena) other than the one
 * that allocated. Every thread also churns private allocations. At the end
 * every block handed over was received intact exactly once, the heap
 * checker is clean, and the bytes in use are back where they started (the
 * threads' caches were returned when they exited). */
#include <bonbon.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "internal.h" /* to read the arena count */

#define PAIRS 4
#define QCAP 512

struct block {
  uint64_t token, n;
  unsigned char data[];
};

struct queue {
  pthread_mutex_t m;
  pthread_cond_t more, room;
  struct block *q[QCAP];
  unsigned head, tail, done;
};

static struct queue queues[PAIRS];
static unsigned long ops = 1000000;
static unsigned long received[PAIRS], sent[PAIRS];

static size_t pick(uint64_t *r) {
  unsigned k = (unsigned)(t_rand(r) % 100);
  if (k < 70)
    return 16 + t_rand(r) % 600;
  if (k < 95)
    return 600 + t_rand(r) % 8000;
  return 8000 + t_rand(r) % 200000;
}

static void *churn_block(uint64_t *r, void **keep, int nkeep) {
  int i = (int)(t_rand(r) % (uint64_t)nkeep);
  if (keep[i]) {
    bb_free(keep[i]);
    keep[i] = NULL;
  } else {
    size_t n = pick(r);
    keep[i] = bb_malloc(n);
    CHECK(keep[i] != NULL);
    memset(keep[i], (int)n, n < 64 ? n : 64);
  }
  return NULL;
}

static void *producer(void *arg) {
  int id = (int)(intptr_t)arg;
  struct queue *q = &queues[id];
  uint64_t r = 1234567u + (uint64_t)id;
  void *keep[64] = {0};
  for (unsigned long i = 0; i < ops; i++) {
    if (t_rand(&r) % 2) {
      churn_block(&r, keep, 64);
      continue;
    }
    size_t n = pick(&r);
    struct block *b = bb_malloc(sizeof *b + n);
    CHECK(b != NULL);
    b->token = ((uint64_t)id << 40) | i;
    b->n = n;
    t_fill(b->data, n, b->token);
    pthread_mutex_lock(&q->m);
    while (q->tail - q->head == QCAP)
      pthread_cond_wait(&q->room, &q->m);
    q->q[q->tail++ % QCAP] = b;
    pthread_cond_signal(&q->more);
    pthread_mutex_unlock(&q->m);
    sent[id]++;
  }
  pthread_mutex_lock(&q->m);
  q->done = 1;
  pthread_cond_signal(&q->more);
  pthread_mutex_unlock(&q->m);
  for (int i = 0; i < 64; i++)
    bb_free(keep[i]);
  return NULL;
}

static void *consumer(void *arg) {
  int id = (int)(intptr_t)arg;
  struct queue *q = &queues[id];
  uint64_t r = 7654321u + (uint64_t)id, expect = 0;
  void *keep[64] = {0};
  for (;;) {
    pthread_mutex_lock(&q->m);
    while (q->head == q->tail && !q->done)
      pthread_cond_wait(&q->more, &q->m);
    if (q->head == q->tail && q->done) {
      pthread_mutex_unlock(&q->m);
      break;
    }
    struct block *b = q->q[q->head++ % QCAP];
    pthread_cond_signal(&q->room);
    pthread_mutex_unlock(&q->m);
    /* Blocks arrive in order: the token proves none was lost or doubled. */
    CHECKF((b->token >> 40) == (uint64_t)id, "block from the wrong queue");
    CHECKF((b->token & 0xffffffffffull) >= expect, "block seen twice");
    expect = (b->token & 0xffffffffffull) + 1;
    CHECKF(t_verify(b->data, b->n, b->token) == b->n, "block corrupted");
    bb_free(b);
    received[id]++;
    churn_block(&r, keep, 64);
  }
  for (int i = 0; i < 64; i++)
    bb_free(keep[i]);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1)
    ops = strtoul(argv[1], NULL, 10);
  /* Touch the heap so that the baseline includes this thread's setup. */
  bb_free(bb_malloc(1));
  struct bb_mallinfo2 before = bb_mallinfo2();
  pthread_t th[2 * PAIRS];
  for (int i = 0; i < PAIRS; i++) {
    pthread_mutex_init(&queues[i].m, NULL);
    pthread_cond_init(&queues[i].more, NULL);
    pthread_cond_init(&queues[i].room, NULL);
  }
  for (int i = 0; i < PAIRS; i++) {
    CHECK(pthread_create(&th[i], NULL, producer, (void *)(intptr_t)i) == 0);
    CHECK(pthread_create(&th[PAIRS + i], NULL, consumer,
                         (void *)(intptr_t)i) == 0);
  }
  for (int i = 0; i < 2 * PAIRS; i++)
    pthread_join(th[i], NULL);
  unsigned long total = 0;
  for (int i = 0; i < PAIRS; i++) {
    CHECKF(sent[i] == received[i], "queue %d: sent %lu received %lu", i,
           sent[i], received[i]);
    total += received[i];
  }
  bb_check_report rep;
  CHECKF(bb_heap_check(bb_process_heap(), &rep) == 0, "%s at %p: %s",
         rep.invariant, rep.addr, rep.detail);
  /* Contention created arenas, within the bound of 8 per CPU. */
  struct bb_heap *h = bb_process_heap();
  unsigned na = __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE);
  CHECKF(na > 1 && na <= h->ro->max_arenas, "%u arenas (max %u)", na,
         h->ro->max_arenas);
  CHECK(h->ro->max_arenas == 8 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN) ||
        h->ro->max_arenas <= 8 * (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
  struct bb_mallinfo2 after = bb_mallinfo2();
  CHECKF(after.uordblks <= before.uordblks + 4096,
         "in use grew from %zu to %zu: memory lost", before.uordblks,
         after.uordblks);
  printf("threads: %d threads x %lu ops, %lu blocks crossed threads intact; "
         "%u arenas; in use %zu -> %zu bytes\n",
         2 * PAIRS, ops, total, na, before.uordblks, after.uordblks);
  return 0;
}

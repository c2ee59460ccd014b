/* prodcons.c: producer/consumer across threads.
 *
 *   prodcons [messages per producer] [pairs]
 *
 * Each pair is a producer and a consumer joined by a bounded queue. The
 * producer allocates messages of 16..4096 bytes, stamps them, and sends
 * them in batches of 64 (the batch itself is a malloc'd array, as in a
 * real message pipeline); the consumer verifies and frees every message
 * and the batch. Every free is remote and every malloc is on a thread
 * that never frees, so memory must flow back from consumer to producer:
 * an allocator that caches frees in the freeing thread and never returns
 * them shows here as growing RSS, one that returns them one by one under a
 * lock shows as CPU time.
 *
 * The queue holds at most 16 batches, so producers cannot run far ahead
 * and the live set stays bounded (about 16 * 64 messages per pair).
 */
#include <pthread.h>

#include "bench.h"

#define BATCH 64
#define QCAP 16

struct batch {
  size_t count;
  void *msg[BATCH];
};

struct queue {
  pthread_mutex_t lock;
  pthread_cond_t not_empty, not_full;
  struct batch *ring[QCAP];
  unsigned head, len;
};

struct pair {
  pthread_t prod, cons;
  struct queue q;
  unsigned id;
  uint64_t digest;
};

static long messages;

static void queue_put(struct queue *q, struct batch *b) {
  pthread_mutex_lock(&q->lock);
  while (q->len == QCAP)
    pthread_cond_wait(&q->not_full, &q->lock);
  q->ring[(q->head + q->len++) % QCAP] = b;
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->lock);
}

/* NULL is the end-of-stream marker. */
static struct batch *queue_get(struct queue *q) {
  pthread_mutex_lock(&q->lock);
  while (q->len == 0)
    pthread_cond_wait(&q->not_empty, &q->lock);
  struct batch *b = q->ring[q->head];
  q->head = (q->head + 1) % QCAP;
  q->len--;
  pthread_cond_signal(&q->not_full);
  pthread_mutex_unlock(&q->lock);
  return b;
}

static void *produce(void *arg) {
  struct pair *p = arg;
  rng_t r = {500u + p->id};
  uint64_t tag = ((uint64_t)p->id << 40) + 1;
  for (long sent = 0; sent < messages;) {
    struct batch *b = bench_xmalloc(sizeof *b);
    b->count = 0;
    for (; b->count < BATCH && sent < messages; b->count++, sent++) {
      size_t n = rng_size(&r, 16, 4096);
      b->msg[b->count] = bench_xmalloc(n);
      stamp(b->msg[b->count], n, tag++);
    }
    queue_put(&p->q, b);
  }
  queue_put(&p->q, NULL);
  return NULL;
}

static void *consume(void *arg) {
  struct pair *p = arg;
  uint64_t digest = 0;
  for (struct batch *b; (b = queue_get(&p->q)) != NULL;) {
    for (size_t i = 0; i < b->count; i++) {
      digest += stamp_check(b->msg[i], 0);
      free(b->msg[i]);
    }
    free(b);
  }
  p->digest = digest;
  return NULL;
}

int main(int argc, char **argv) {
  messages = arg_long(argc, argv, 1, 4000000);
  long npairs = arg_long(argc, argv, 2, 2);
  struct pair *pr = calloc((size_t)npairs, sizeof *pr);
  if (!pr)
    bench_fail("calloc");
  for (long i = 0; i < npairs; i++) {
    pr[i].id = (unsigned)i;
    pthread_mutex_init(&pr[i].q.lock, NULL);
    pthread_cond_init(&pr[i].q.not_empty, NULL);
    pthread_cond_init(&pr[i].q.not_full, NULL);
    if (pthread_create(&pr[i].cons, NULL, consume, &pr[i]) != 0 ||
        pthread_create(&pr[i].prod, NULL, produce, &pr[i]) != 0)
      bench_fail("pthread_create");
  }
  uint64_t digest = 0;
  for (long i = 0; i < npairs; i++) {
    pthread_join(pr[i].prod, NULL);
    pthread_join(pr[i].cons, NULL);
    digest += pr[i].digest;
  }
  free(pr);
  check_ok(digest);
  return 0;
}

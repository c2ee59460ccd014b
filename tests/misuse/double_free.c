/* double_free SHAPE: a block freed twice, wherever the first free put it.
 * SHAPE: tcache | aba (A, B, A) | fastbin | bin | coalesced (merged into
 * a free neighbour) | top (merged into the top) | thread (first free on
 * another thread) | quarantine. Expect: "double free". */
#include <pthread.h>

#include "misuse.h"

static void *free_it(void *p) {
  bb_free(p);
  return NULL;
}

int main(int argc, char **argv) {
  const char *shape = argc > 1 ? argv[1] : "tcache";
  void *hold_[TC_COUNT];
  char *p;
  if (!strcmp(shape, "tcache")) {
    p = bb_malloc(SMALL);
    bb_free(p);
  } else if (!strcmp(shape, "aba")) {
    p = bb_malloc(SMALL);
    char *b = bb_malloc(SMALL);
    bb_free(p);
    bb_free(b);
  } else if (!strcmp(shape, "fastbin")) {
    hold(hold_, TC_COUNT, SMALL);
    p = bb_malloc(SMALL);
    release_all(hold_, TC_COUNT); /* the cache is full: p goes to a fast bin */
    bb_free(p);
  } else if (!strcmp(shape, "bin")) {
    p = bb_malloc(5000);
    bb_malloc(16);
    bb_free(p);
  } else if (!strcmp(shape, "coalesced")) {
    char *a = bb_malloc(5000);
    p = bb_malloc(5000);
    bb_malloc(16);
    bb_free(a);
    bb_free(p); /* p merges into a: its header is a tombstone */
  } else if (!strcmp(shape, "top")) {
    bb_heap *h = bb_heap_create(NULL);
    p = bb_heap_malloc(h, 5000);
    bb_heap_free(h, p); /* p merges into the top */
    expect("double free", p);
    bb_heap_free(h, launder(p));
    undetected();
  } else if (!strcmp(shape, "thread")) {
    p = bb_malloc(200);
    bb_malloc(16);
    pthread_t t;
    pthread_create(&t, NULL, free_it, p);
    pthread_join(t, NULL);
  } else if (!strcmp(shape, "quarantine")) {
    bb_heap_config cfg = {0};
    cfg.options = "quarantine_kb=64";
    bb_heap *h = bb_heap_create(&cfg);
    p = bb_heap_malloc(h, 100);
    bb_heap_free(h, p);
    expect("double free", p);
    bb_heap_free(h, launder(p));
    undetected();
  } else {
    return 2;
  }
  expect("double free", p);
  bb_free(launder(p));
  undetected();
}

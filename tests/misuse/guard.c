/* guard WHERE: a linear overflow or underflow that reaches a guard page
 * dies by SIGSEGV. WHERE: mapped (past the end of a mapped block) |
 * segment (before the first chunk of a heap segment) | arena (past the
 * arena's metadata) | sealed (a write into the sealed secrets and options,
 * which are read-only). The bin heads, thread caches and arena headers
 * live in such mappings, never among the chunks. */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *where = argc > 1 ? argv[1] : "mapped";
  bb_heap *h = bb_heap_create(NULL);
  struct bb_heap *hh = h;
  volatile char *w;
  if (!strcmp(where, "mapped")) {
    size_t n = (size_t)1 << 21;
    char *p = bb_heap_malloc(h, n);
    w = p; /* run off the end: no guard means no fault */
    for (size_t i = 0; i < n + 8192; i++)
      w[i] = 1;
  } else if (!strcmp(where, "segment")) {
    char *p = bb_heap_malloc(h, 100); /* the first chunk of the segment */
    w = p;
    for (size_t i = 1; i < 8192; i++)
      w[-(long)i] = 1;
  } else if (!strcmp(where, "arena")) {
    w = (volatile char *)hh->ro->arenas[0];
    for (size_t i = 0; i < ((size_t)1 << 20); i++)
      w[i] = w[i];
  } else if (!strcmp(where, "sealed")) {
    w = (volatile char *)&hh->ro->keys;
    w[0] = 1;
  }
  undetected();
}

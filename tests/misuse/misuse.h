/* misuse.h: what every misuse program shares. A program sets up the heap,
 * writes on stdout the exact line it expects bonbon to print (without
 * stdio's buffer, whose allocation would meet the corruption), then
 * commits its misuse. The driver (driver.c) runs it in a child and checks
 * the signal and that stderr is exactly that line. Programs use the bb_
 * names so that they also run in the sanitizer build. */
#ifndef BB_MISUSE_H
#define BB_MISUSE_H

#include <bonbon.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h" /* header layout; white-box programs forge with keys */

#define TC_COUNT BB_TCACHE_COUNT /* chunks per thread-cache class */
#define SMALL 48                 /* a fast-bin and thread-cache size */

static inline void expect(const char *check, const void *addr) {
  char line[256];
  int n = snprintf(line, sizeof line, "bonbon: %s at %p\n", check, addr);
  if (write(1, line, (size_t)n) != n)
    _exit(90);
}

/* The misuse did not stop the program: the driver sees exit status 3. */
static inline void undetected(void) { _exit(3); }

/* Opaque to the optimizer, so that misuse is not folded away. */
static void *volatile misuse_sink;
static inline void *launder(void *p) {
  misuse_sink = p;
  return misuse_sink;
}

static inline size_t *hdr(void *p) { return (size_t *)p - 1; }
static inline size_t chunk_size(void *p) { return bb_h_size(*hdr(p)); }

/* Hold n blocks of size sz, so that the thread cache of that size is
 * empty and the next blocks come from the arena; release them later to
 * fill it again. */
static inline void hold(void **blocks, unsigned n, size_t sz) {
  for (unsigned i = 0; i < n; i++)
    blocks[i] = bb_malloc(sz);
}
static inline void release_all(void **blocks, unsigned n) {
  for (unsigned i = 0; i < n; i++)
    bb_free(blocks[i]);
}

/* argv[i] or a default, as a number (seeds, variants). */
static inline unsigned long arg(int argc, char **argv, int i,
                                unsigned long def) {
  return argc > i ? strtoul(argv[i], NULL, 0) : def;
}

static inline uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return x;
}

#endif

/* test.h: the few helpers every bonbon test uses. A failed CHECK prints
 * file, line and the expression, and exits 1 (ctest reports it). */
#ifndef BB_TEST_H
#define BB_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                       \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__,    \
              #cond);                                                     \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

#define CHECKF(cond, ...)                                                 \
  do {                                                                    \
    if (!(cond)) {                                                        \
      fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__,    \
              #cond);                                                     \
      fprintf(stderr, __VA_ARGS__);                                       \
      fputc('\n', stderr);                                                \
      exit(1);                                                            \
    }                                                                     \
  } while (0)

/* A deterministic generator (xorshift64*), so failures replay. */
static inline uint64_t t_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545f4914f6cdd1dull;
}

/* The byte a block with seed `seed` holds at offset i. */
static inline unsigned char t_pat(uint64_t seed, size_t i) {
  return (unsigned char)((seed * 131u + i * 7u + (i >> 8)) ^ (seed >> 11));
}

static inline void t_fill(void *p, size_t n, uint64_t seed) {
  unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    b[i] = t_pat(seed, i);
}

/* Index of the first byte that differs from the pattern, or n. */
static inline size_t t_verify(const void *p, size_t n, uint64_t seed) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; i++)
    if (b[i] != t_pat(seed, i))
      return i;
  return n;
}

#endif

/* size_overflow: every API that multiplies or rounds a size, given one
 * that overflows, returns NULL with errno ENOMEM (EINVAL for the
 * alignments POSIX and glibc reject) and creates nothing. The program
 * exits 0 when every answer is right. */
#include <errno.h>

#include "misuse.h"

static int bad;
#define WANT(expr, err)                                                    \
  do {                                                                     \
    errno = 0;                                                             \
    void *r_ = (expr);                                                     \
    if (r_ != NULL || errno != (err)) {                                    \
      fprintf(stdout, "wrong: %s\n", #expr);                               \
      bad = 1;                                                             \
    }                                                                      \
  } while (0)

int main(void) {
  char *p = bb_malloc(100);
  memset(p, 7, 100);
  WANT(bb_calloc(SIZE_MAX / 2 + 1, 2), ENOMEM);
  WANT(bb_calloc(SIZE_MAX, SIZE_MAX), ENOMEM);
  WANT(bb_reallocarray(p, SIZE_MAX, 2), ENOMEM);
  WANT(bb_malloc(SIZE_MAX - 8), ENOMEM);
  WANT(bb_memalign((size_t)1 << 62, 1), ENOMEM);
  WANT(bb_pvalloc(SIZE_MAX - 100), ENOMEM);
  WANT(bb_aligned_alloc(24, 48), EINVAL);
  void *q = NULL;
  if (bb_posix_memalign(&q, 24, 10) != EINVAL || q != NULL)
    bad = 1;
  for (int i = 0; i < 100; i++) /* the block survived every failure */
    if (p[i] != 7)
      bad = 1;
  bb_free(p);
  return bad;
}

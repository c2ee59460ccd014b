/* A program built against an installed bonbon, through find_package or
 * pkg-config: it must link, call the prefixed API, and get bonbon's
 * malloc under the standard name too. */
#include <bonbon.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  void *p = malloc(100); /* libbonbon's, since it is linked in */
  if (!p || bb_malloc_usable_size(p) < 100)
    return 1;
  free(p);
  struct bb_mallinfo2 m = bb_mallinfo2();
  printf("consumer: ok, %zu bytes of heap\n", m.arena);
  return m.arena > 0 ? 0 : 1;
}

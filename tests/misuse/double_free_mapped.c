/* double_free_mapped API: a mapped block freed, then freed again
 * (API=free) or reallocated to a size no allocator could give (API=
 * realloc_huge: the pointer is judged before the size). After the first
 * free it is no longer a mapping of the heap. Expect: "invalid pointer". */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *api = argc > 1 ? argv[1] : "free";
  char *p = bb_malloc(64 << 20);
  bb_free(p);
  expect("invalid pointer", p);
  if (!strcmp(api, "realloc_huge"))
    bb_realloc(launder(p), SIZE_MAX);
  else
    bb_free(launder(p));
  undetected();
}

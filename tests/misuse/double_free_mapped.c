/* double_free_mapped: a mapped block freed twice. After the first free
 * it is no longer a mapping of the heap. Expect: "invalid pointer". */
#include "misuse.h"

int main(void) {
  char *p = bb_malloc(64 << 20);
  bb_free(p);
  expect("invalid pointer", p);
  bb_free(launder(p));
  undetected();
}

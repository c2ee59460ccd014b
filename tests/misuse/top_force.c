/* top_force: the top chunk's size overwritten with a huge value, then a
 * request larger than what remains (the house of force). The top is
 * checked against its segment's bounds at every use: nothing is carved.
 * Expect: "corrupted top chunk". */
#include "misuse.h"

int main(void) {
  char *p = bb_malloc(100);
  char *top = p + chunk_size(p); /* the chunk after p is the top */
  *hdr(top) = (size_t)-1;
  expect("corrupted top chunk", top);
  bb_malloc(200000);
  undetected();
}

/* mapped_forged HOW: the header of a mapped block grown over the next
 * mapping, then free. HOW=blind: the attacker writes a header value it
 * made up ("corrupted chunk header"); HOW=keyed: it forges a valid header
 * with the heap's key, claiming an in-heap chunk of 64 MiB ("corrupted
 * mapped chunk"). Either way the record, not the header, decides what is
 * unmapped, and nothing is. */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "blind";
  struct bb_heap *h = bb_process_heap();
  char *p = bb_malloc(8 << 20);
  size_t c = bb_mem2chunk(p);
  if (!strcmp(how, "blind")) {
    *hdr(p) = ((size_t)64 << 20) | BB_ST_MAPPED;
    expect("corrupted chunk header", p);
  } else {
    BB_W(c) = bb_h_make(&h->ro->keys, c, BB_ST_MAPPED, (size_t)64 << 20, 0);
    expect("corrupted mapped chunk", p);
  }
  bb_free(p);
  undetected();
}

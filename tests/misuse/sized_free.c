/* sized_free KIND: free_sized or free_aligned_sized with a size or an
 * alignment that is not the block's. KIND: size (one byte off: "sized
 * free mismatch") | mapped (the same on a mapped block) | align (an
 * alignment the pointer does not have: "aligned free mismatch"). */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "size";
  if (!strcmp(kind, "align")) {
    char *p = bb_aligned_alloc(64, 64);
    expect("aligned free mismatch", p);
    bb_free_aligned_sized(p, 4096, 64);
  } else {
    size_t n = !strcmp(kind, "mapped") ? (size_t)1 << 22 : 100;
    char *p = bb_malloc(n);
    bb_free_sized(bb_malloc(n), n); /* the right size passes */
    expect("sized free mismatch", p);
    bb_free_sized(p, n + 1);
  }
  undetected();
}

/* link_forged KIND: a link forged with the heap's own key, as if the key
 * had leaked, so that it decodes. KIND: outside (it leads outside the
 * heap: "corrupted free-list link") | wrong_class (it leads to a live block
 * of another size: "corrupted thread cache" when that block is taken). */
#include "misuse.h"

static char target[64] __attribute__((aligned(16)));

int main(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "outside";
  struct bb_heap *h = bb_process_heap();
  char *live = bb_malloc(500);
  char *p = bb_malloc(SMALL), *q = bb_malloc(SMALL);
  bb_free(q);
  bb_free(p);
  size_t c = bb_mem2chunk(p);
  if (!strcmp(kind, "outside")) {
    BB_W(c + 1) = bb_link_enc(&h->ro->keys, c + 1, bb_mem2chunk(target + 16));
    expect("corrupted free-list link", p);
  } else {
    BB_W(c + 1) = bb_link_enc(&h->ro->keys, c + 1, bb_mem2chunk(live));
    expect("corrupted thread cache", live);
  }
  bb_malloc(SMALL);
  bb_malloc(SMALL);
  undetected();
}

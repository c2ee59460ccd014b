/* bin_links BIN LINK: a forward or back link of a free chunk in the
 * unsorted, a small or a large bin overwritten, then the allocation that
 * takes that chunk out. LINK=fd: the unsafe-unlink shape (it points near
 * the chunk); LINK=bk: the house-of-lore shape (it points at a fake chunk
 * on the stack); LINK=ring (large bins): the link to the next size on the
 * skip list, as the large-bin attack targets. Nothing is written through
 * the links before they are checked. Expect: "corrupted bin links". */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *bin = argc > 1 ? argv[1] : "unsorted";
  const char *link = argc > 2 ? argv[2] : "fd";
  size_t fake[8] __attribute__((aligned(16))) = {0};
  size_t n = !strcmp(bin, "small") ? 600 : !strcmp(bin, "large") ? 20000 : 3000;
  bb_heap_config cfg = {0};
  cfg.options = "tcache_count=0"; /* every free goes to the bins */
  bb_heap *h = bb_heap_create(&cfg);
  bb_heap_malloc(h, 16); /* live neighbours keep a and b apart */
  char *a = bb_heap_malloc(h, n);
  bb_heap_malloc(h, 16);
  char *b = bb_heap_malloc(h, n + 200);
  bb_heap_malloc(h, 16);
  bb_heap_free(h, a);
  bb_heap_free(h, b);
  if (strcmp(bin, "unsorted") != 0)
    bb_heap_malloc(h, 30000); /* sorts a and b into their bins */
  size_t *w = (size_t *)a;
  if (!strcmp(link, "fd"))
    w[0] = (size_t)(a - 24); /* unsafe unlink: fd = &p - 3 words */
  else if (!strcmp(link, "bk"))
    w[1] = (size_t)&fake[0]; /* house of lore: bk = a fake chunk */
  else
    w[2] = (size_t)&fake[0]; /* the size ring's next: a fake chunk */
  expect("corrupted bin links", a);
  bb_heap_malloc(h, !strcmp(bin, "unsorted") ? 5000 : n);
  undetected();
}

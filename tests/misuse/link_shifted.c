/* link_shifted: the link of a chunk in a fast bin moved back by two
 * chunks, without the key. A link is stored as index + key(slot), so
 * subtracting from the stored word subtracts from the link: it now leads
 * to a real chunk further down the same list, passes every check of a
 * single link, and skips two chunks. Consolidation drains the fast bins
 * and finds fewer chunks than it counted. Expect: "corrupted fast bin" at
 * the last chunk drained. */
#include "misuse.h"

int main(void) {
  bb_heap_config cfg = {0};
  cfg.options = "tcache_count=0"; /* every free goes to the fast bin */
  bb_heap *h = bb_heap_create(&cfg);
  char *p[4];
  for (int i = 0; i < 4; i++)
    p[i] = bb_heap_malloc(h, SMALL);
  for (int i = 0; i < 4; i++)
    bb_heap_free(h, p[i]); /* the list: p3, p2, p1, p0 */
  size_t two_chunks = (size_t)(p[2] - p[0]) / 8; /* in words */
  *(size_t *)p[3] -= two_chunks; /* p3's link now leads to p0 */
  expect("corrupted fast bin", p[0]);
  bb_heap_malloc(h, 4096); /* a large request consolidates the fast bins */
  undetected();
}

/* write_after_free WHERE: a byte written into a freed block, then blocks
 * of its size allocated until it is handed out again. Freed blocks are
 * zeroed; reuse checks that they still are. WHERE: tcache | fastbin | bin
 * | quarantine. Expect: "write after free". */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *where = argc > 1 ? argv[1] : "tcache";
  void *held[TC_COUNT];
  if (!strcmp(where, "quarantine")) {
    bb_heap_config cfg = {0};
    cfg.options = "quarantine_kb=16";
    bb_heap *h = bb_heap_create(&cfg);
    char *p = bb_heap_malloc(h, 100);
    bb_heap_free(h, p);
    p[50] = 'x';
    expect("write after free", p);
    for (int i = 0; i < 1000; i++) /* pushes p out of the quarantine */
      bb_heap_free(h, bb_heap_malloc(h, 100));
    undetected();
  }
  size_t n = !strcmp(where, "bin") ? 3000 : SMALL;
  if (!strcmp(where, "fastbin"))
    hold(held, TC_COUNT, n);
  char *p = bb_malloc(n);
  bb_malloc(16);
  if (!strcmp(where, "fastbin"))
    release_all(held, TC_COUNT);
  bb_free(p);
  p[n / 2] = 'x';
  expect("write after free", p);
  for (unsigned i = 0; i < TC_COUNT + 2; i++)
    bb_malloc(n);
  undetected();
}

/* freelist_poison WHERE HOW SEED: the link word of a freed block
 * overwritten with an attacker's target, then blocks of that size
 * allocated. WHERE: tcache | fastbin; HOW: raw (the target's address) |
 * masked (glibc's safe-linking of it, as an attacker with a heap leak
 * computes it). The target, an aligned address in a static buffer, varies
 * with SEED. Links are keyed: the forgery never decodes to the target.
 * Expect: "corrupted free-list link". */
#include "misuse.h"

static char target[4096] __attribute__((aligned(16)));

int main(int argc, char **argv) {
  const char *where = argc > 1 ? argv[1] : "tcache";
  const char *how = argc > 2 ? argv[2] : "raw";
  uint64_t r = mix(arg(argc, argv, argc - 1, 1));
  char *t = target + 16 * (1 + r % 200);
  void *held[TC_COUNT];
  char *p, *q;
  if (!strcmp(where, "fastbin"))
    hold(held, TC_COUNT, SMALL);
  p = bb_malloc(SMALL);
  q = bb_malloc(SMALL);
  if (!strcmp(where, "fastbin"))
    release_all(held, TC_COUNT); /* cache full: p and q go to a fast bin */
  bb_free(q);
  bb_free(p); /* p is the list's head; its link names q */
  uintptr_t v = (uintptr_t)t;
  if (!strcmp(how, "masked"))
    v ^= (uintptr_t)p >> 12;
  *(uintptr_t *)p = v;
  expect("corrupted free-list link", p);
  for (unsigned i = 0; i < TC_COUNT + 2; i++)
    if ((char *)bb_malloc(SMALL) == t)
      _exit(4); /* handed out the forged target */
  undetected();
}

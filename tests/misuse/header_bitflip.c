/* header_bitflip API SEED: one random bit of a random header byte of a
 * live block flipped, then free or realloc. Flips of the check bits are
 * caught for certain; flips elsewhere change what the 20-bit keyed check
 * must be, so they escape with probability 2^-20: the driver repeats this
 * with many seeds, each in its own child. API: free | realloc.
 * Expect: "corrupted chunk header". */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *api = argc > 1 ? argv[1] : "free";
  uint64_t r = mix(arg(argc, argv, argc - 1, 1) * 0x9e3779b97f4a7c15ull);
  size_t sizes[] = {24, 100, 1000, 5000};
  char *p = bb_malloc(sizes[r % 4]);
  bb_malloc(16);
  unsigned byte = (unsigned)(r >> 8) % 8, bit = (unsigned)(r >> 16) % 8;
  ((unsigned char *)hdr(p))[byte] ^= (unsigned char)(1u << bit);
  expect("corrupted chunk header", p);
  if (!strcmp(api, "free"))
    bb_free(p);
  else
    bb_realloc(p, 3000);
  undetected();
}

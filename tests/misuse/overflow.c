/* overflow KIND: writes past the end of a block, caught when it is freed.
 * KIND: nul (one NUL byte at p[n], where there is slack after the
 * request), nul_noslack (one NUL byte where the block ends at its chunk's
 * end: it lands in the next chunk's header), next_header (many bytes, over
 * the next chunk's header), realloc (a NUL byte, then realloc).
 * Expect: "heap overflow" at the block that overflowed. */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "nul";
  size_t n = !strcmp(kind, "nul_noslack") ? 24 : 100;
  char *p = bb_malloc(n);
  bb_malloc(16);
  memset(p, 'x', n);
  if (!strcmp(kind, "next_header"))
    memset(p + n, 'A', chunk_size(p) - 8 - n + 8);
  else
    p[n] = 0;
  expect("heap overflow", p);
  if (!strcmp(kind, "realloc"))
    bb_realloc(p, 10000);
  else
    bb_free(p);
  undetected();
}

/* invalid_interior API: a pointer into the middle of a live block (or into
 * heap memory never handed out, with WHERE=top), with a genuine header
 * value copied in front of it. The header's check binds it to its own
 * address, so the copy is refused. API: free | realloc | usable.
 * Expect: "corrupted chunk header". */
#include "misuse.h"

int main(int argc, char **argv) {
  const char *api = argc > 1 ? argv[1] : "free";
  const char *where = argc > 2 ? argv[2] : "block";
  char *p = bb_malloc(200);
  char *q = !strcmp(where, "top") ? p + 8192 : p + 64;
  *hdr(q) = *hdr(p);
  expect("corrupted chunk header", q);
  if (!strcmp(api, "free"))
    bb_free(q);
  else if (!strcmp(api, "realloc"))
    bb_realloc(q, 10);
  else
    bb_malloc_usable_size(q);
  undetected();
}

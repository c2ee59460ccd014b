/* invalid_pointer KIND API: a pointer that bonbon never returned, with a
 * plausible header in front of it (a genuine header value copied there:
 * the house of spirit), handed to free, realloc or malloc_usable_size.
 * KIND: unaligned | stack | global | foreign (another heap's block);
 * API: free | realloc | usable. Expect: "invalid pointer", decided before
 * anything is read through the pointer. */
#include "misuse.h"

static size_t global_fake[8] __attribute__((aligned(16)));

static void use(const char *api, void *q) {
  expect("invalid pointer", q);
  if (!strcmp(api, "free"))
    bb_free(launder(q));
  else if (!strcmp(api, "realloc"))
    bb_realloc(launder(q), 100);
  else
    bb_malloc_usable_size(launder(q));
  undetected();
}

int main(int argc, char **argv) {
  const char *kind = argc > 1 ? argv[1] : "stack";
  const char *api = argc > 2 ? argv[2] : "free";
  size_t stack_fake[8] __attribute__((aligned(16)));
  char *real = bb_malloc(40);
  if (!strcmp(kind, "unaligned")) {
    use(api, real + 8);
  } else if (!strcmp(kind, "stack")) {
    stack_fake[1] = *hdr(real);
    use(api, &stack_fake[2]);
  } else if (!strcmp(kind, "global")) {
    global_fake[1] = *hdr(real);
    use(api, &global_fake[2]);
  } else if (!strcmp(kind, "foreign")) {
    bb_heap *other = bb_heap_create(NULL);
    use(api, bb_heap_malloc(other, 40));
  }
  return 2;
}

/* fuzz_process: the process-wide heap, the one that bb_malloc and the
 * standard names serve when no instance heap is involved: memory from the
 * operating system, secrets from getrandom, a context per thread, arenas
 * created under contention, thread exit and fork handlers.
 *
 * Split out of fuzz_ops (where it was the `process` operation), because
 * this heap cannot start fresh for every input: its secrets, its
 * addresses and its threads come from the operating system, so the paths
 * an input takes may vary a little between runs. This target is therefore
 * exempt from the 100% AFL++ stability that fuzz_ops, fuzz_attack and
 * fuzz_internals keep. What it can, it makes canonical: the heap is warmed
 * up once (context, a thread, a fork), and every operation frees all it
 * allocated, trims, resets the thresholds and the bin hints, and requires
 * the heap to be empty and consistent (NOT-EMPTY, HEAP-CHECK).
 *
 * Input: a 4-byte header (reserved, ignored), then 4-byte records:
 *   record    b0 % 12   the operation (fz_process_op's mod: 0 malloc and
 *                       realloc, 1 calloc, 2 memalign, 3 posix_memalign,
 *                       valloc/pvalloc and aligned_alloc, 4 trim,
 *                       mallinfo2 and malloc_stats, 5 a burst, 6 a thread,
 *                       7 malloc/free, or a fork when xs is 3, 8 the
 *                       instance API (bb_heap_*) on the process heap, 9
 *                       two to four threads at once (lock contention:
 *                       new arenas; xs 3: two threads start while every
 *                       arena's lock is held, so they collide), 10 a child with no fatal hook frees a
 *                       bad pointer (message and abort), 11 a fork while
 *                       another thread holds a context)
 *             b1 >> 6   two selector bits (xs)
 *             b2 b3     16-bit size code (fz_size)
 * Each operation checks alignment, usable size, ownership, contents,
 * calloc zeroes and realloc's kept bytes like fuzz_ops does. */
#include <stdint.h>
#include <stdlib.h>

#include "fz_common.h"
#include "fz_model.h"

static int ready;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (!ready) {
    fz_install_hook();
    fz_process_warm_up();
    ready = 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t len) {
  if (len < 4)
    return 0;
  LLVMFuzzerInitialize(NULL, NULL);
  for (size_t off = 4; off + 4 <= len; off += 4) {
    const uint8_t *r = d + off;
    fz_opno = (long)(off / 4 - 1);
    size_t n = fz_size(fz_rd16(r + 2));
    if (fz_trace)
      fz_tracef("#%ld process mod %u xs %u size %zu\n", fz_opno, r[0] % 12u,
                r[1] >> 6, n);
    fz_process_op(r[0] % 12u, r[1] >> 6, n);
  }
  fz_opno = -1;
  return 0;
}

/* fuzz_ops: the allocator's API against the reference model (fz_model.h).
 *
 * Input: a 4-byte header, then 4-byte records.
 *   header[0] bits 0-1  heap check and full content check every K = 1, 8,
 *                       64 records, or only at the end
 *             bit 2     fault injection: the memory source refuses its
 *                       (header[1] + 1)-th request
 *             bit 3     small memory budget (4 MiB instead of 48 MiB)
 *             bit 4     large budget (192 MiB: several heap segments)
 *   header[2]           runtime options of the heap (fz_options: thread
 *                       cache size, quarantine, zero-on-free limit)
 *   record    b0 & 31   operation (table below); b0 >> 5 its modifier
 *             b1 & 63   slot; b1 >> 6 two more selector bits
 *             b2 b3     16-bit size code (fz_size)
 * The heap's secrets derive from a hash of the whole input. The input
 * passes when every check holds after every call, the heap is empty once
 * every block is freed, and bb_heap_destroy gives back all its memory. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_common.h"
#include "fz_model.h"
#include "internal.h"

static const enum fz_op optab[32] = {
    FZ_MALLOC,       FZ_MALLOC,     FZ_MALLOC,         FZ_CALLOC,
    FZ_REALLOC,      FZ_REALLOC,    FZ_FREE,           FZ_FREE,
    FZ_FREE,         FZ_MEMALIGN,   FZ_POSIX_MEMALIGN, FZ_ALIGNED_ALLOC,
    FZ_USABLE,       FZ_VERIFY,     FZ_REFILL,         FZ_CHECK,
    FZ_BURST,        FZ_FREE_RANGE, FZ_TRIM,           FZ_REALLOC_EDGE,
    FZ_PROC,         FZ_STATS,      FZ_IS_EMPTY,       FZ_FREE_SIZED,
    FZ_MOVE,         FZ_MALLOC,     FZ_FREE,           FZ_REALLOC,
    FZ_BURST,        FZ_FREE_RANGE, FZ_CALLOC,         FZ_PROCESS,
};

static int ready;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (!ready) {
    fz_source_init();
    fz_install_hook();
    fz_model_init();
    fz_process_warm_up();
    ready = 1;
  }
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t len) {
  if (len < 4)
    return 0;
  LLVMFuzzerInitialize(NULL, NULL);
  static const unsigned every[4] = {1, 8, 64, 0};
  unsigned k = every[d[0] & 3];
  size_t budget = d[0] & 8    ? (size_t)4 << 20
                  : d[0] & 16 ? (size_t)192 << 20
                              : (size_t)48 << 20;
  unsigned long fail_at = d[0] & 4 ? (unsigned long)d[1] + 1 : 0;
  sigjmp_buf jb;
  fz_opno = -1;
  if (sigsetjmp(jb, 0)) {
    /* Giving up when the source refuses to protect memory ("cannot seal
     * ...", "cannot protect ...") is the allocator's documented answer. */
    if (fz_src_stats.refusals && !strncmp(fz_fatal.check, "cannot ", 7)) {
      bb_tls_ctx = NULL;
      fz_fatal.jmp = NULL;
      fz_source_reset();
      return 0;
    }
    fz_finding("ALLOCATOR-FATAL", "bonbon detected \"%s\" at %p during "
               "correct use", fz_fatal.check, fz_fatal.addr);
  }
  fz_fatal.jmp = &jb;
  fz_source_begin(budget, fail_at);
  bb_heap_config cfg = {fz_source, 1, fz_hash(d, len), 1, fz_options(d[2])};
  bb_heap *h = bb_heap_create(&cfg);
  if (!h) {
    if (!fz_src_stats.refusals)
      fz_finding("NULL-RESULT", "bb_heap_create failed with memory left");
    if (fz_source_live())
      fz_finding("LEAK", "a failed bb_heap_create left %zu mappings",
                 fz_source_live());
    fz_fatal.jmp = NULL;
    return 0;
  }
  if (fz_trace)
    fz_tracef("heap %p, check every %u, budget %zu, fail at %lu, options "
              "\"%s\"\n", (void *)h, k, budget, fail_at,
              fz_options(d[2]) ? fz_options(d[2]) : "");
  fz_model_begin(h, 0);
  unsigned n = 0;
  for (size_t off = 4; off + 4 <= len; off += 4) {
    const uint8_t *r = d + off;
    fz_opno = (long)(off / 4 - 1);
    fz_model_op(optab[r[0] & 31], r[0] >> 5, r[1] >> 6, r[1] & 63,
                fz_rd16(r + 2));
    if (k && ++n % k == 0) {
      fz_check_all("periodic");
      fz_check_heap("periodic");
    }
  }
  fz_opno = -1;
  fz_model_finish();
  bb_heap_destroy(h);
  bb_tls_ctx = NULL;
  fz_fatal.jmp = NULL;
  if (getenv("FZ_SHIM") && atoi(getenv("FZ_SHIM")) == 13)
    fz_source->map(fz_source->ctx, FZ_PAGE); /* simulated forgotten map */
  if (fz_source_live())
    fz_finding("LEAK", "bb_heap_destroy left %zu reservations or mappings",
               fz_source_live());
  return 0;
}

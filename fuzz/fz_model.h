/* fz_model.h: the reference model of what a correct allocator returns,
 * shared by fuzz_ops and fuzz_attack.
 *
 * The model is a table of FZ_SLOTS slots. Each live slot remembers its
 * block: pointer, requested size, usable size, alignment and a pattern
 * seed. The harness writes the pattern into a head and a tail window of
 * every block (FZ_WIN bytes each; the whole block when it is small) and
 * checks it on free, on realloc, on demand, every K operations and at the
 * end. Every allocator call goes through a checked wrapper here, which
 * verifies after the call (check names as printed in findings):
 *
 *   NULL-RESULT    NULL only when the model allows it (size or count too
 *                  large, or the memory source refused a request during
 *                  the call), and non-NULL/NULL when it is required
 *   ERRNO          the errno of a failure (ENOMEM, EINVAL)
 *   ALIGNMENT      the pointer is aligned to max(16, alignment)
 *   USABLE-SIZE    requested <= usable <= requested + alignment + a page;
 *                  usable size unchanged between calls
 *   OUTSIDE-HEAP   [p, p + usable) lies in memory the heap owns
 *   OVERLAP        [p, p + usable) meets no live block
 *   CONTENT        the windows written at allocation are intact
 *   REALLOC-KEEP   realloc keeps the first min(old, new) bytes
 *   CALLOC-ZERO    calloc memory reads as zero
 *   HEAP-CHECK     bb_heap_check passes (every K operations, at the end)
 *   STATS          mallinfo2 agrees with the live blocks
 *   NOT-EMPTY      bb_heap_is_empty is true exactly when nothing is live
 *   LEAK           bb_heap_destroy gave back every reservation and mapping
 *
 * FZ_PROCESS is the one operation that leaves the input's heap: it runs
 * the process-wide heap (operating-system memory, random secrets), its
 * thread contexts and its fork handlers, with the same checks, and frees
 * everything before it returns. Its results do not depend on addresses,
 * so inputs still replay identically, but coverage of an input that uses
 * it may vary slightly between runs.
 *
 * In attack mode (fuzz_attack) bytes the attacker wrote are tainted and
 * not compared, and the harness zone holds the attacker's buffer and a
 * container of the live pointers, each with a shadow copy.
 */
#ifndef FZ_MODEL_H
#define FZ_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "fz_common.h"

#define FZ_SLOTS 64u
#define FZ_WIN 64u
#define FZ_BUF 4096u

struct fz_slot {
  uint8_t *p;         /* NULL: the slot is empty */
  size_t req;         /* requested size */
  size_t usable;      /* usable size when allocated */
  size_t ext;         /* bytes the pattern covers (req, or usable) */
  size_t align;
  uint32_t seed;
  uint64_t taint[2];  /* attack mode: head and tail window bytes written */
  uint8_t want[2][FZ_WIN]; /* the head and tail windows' pattern */
  uint8_t *dead;      /* the last pointer freed from this slot */
};

struct fz_model {
  bb_heap *h;
  struct fz_slot *s;    /* FZ_SLOTS, in the harness zone */
  uintptr_t *cont;      /* the container: live pointers, harness zone */
  uint8_t *buf;         /* the attacker's buffer, harness zone */
  uintptr_t *cont_sh;   /* shadows, outside the heap too */
  uint8_t *buf_sh;
  uint32_t nextseed;
  size_t nlive;
  unsigned long r0;     /* refusals before the current call */
  int attack;           /* attack mode */
  int attacked;         /* an attack primitive ran in this input */
};

extern struct fz_model fz_m;

/* Set up the model's memory (once) and start an input on heap h. */
void fz_model_init(void);
void fz_model_begin(bb_heap *h, int attack);

/* The operations shared by both targets. `mod` is the 3-bit modifier of
 * the record, `xs` two extra selector bits. */
enum fz_op {
  FZ_MALLOC, FZ_CALLOC, FZ_REALLOC, FZ_FREE, FZ_MEMALIGN, FZ_POSIX_MEMALIGN,
  FZ_ALIGNED_ALLOC, FZ_USABLE, FZ_VERIFY, FZ_REFILL, FZ_CHECK, FZ_BURST,
  FZ_FREE_RANGE, FZ_TRIM, FZ_REALLOC_EDGE, FZ_PROC, FZ_STATS, FZ_IS_EMPTY,
  FZ_FREE_SIZED, FZ_MOVE, FZ_PROCESS, FZ_NOP, FZ_NOPS
};
extern const char *const fz_op_names[FZ_NOPS];
void fz_model_op(enum fz_op op, unsigned mod, unsigned xs, unsigned slot,
                 unsigned code);

/* Create the process heap and this thread's context on it, run a thread
 * and fork once (the child checks its heap), before fuzzing starts (see
 * FZ_PROCESS; forking per input would copy the fuzzer's page tables). */
void fz_process_warm_up(void);

/* Checks callable from the targets. */
void fz_check_slot(unsigned i, const char *when);
void fz_check_all(const char *when);
void fz_check_heap(const char *when);
void fz_check_harness(void);      /* attack mode: buffer, container */
/* Free every live block (checked), then require an empty heap. */
void fz_model_finish(void);
/* Free slot i through bb_heap_free after checking it. */
void fz_free_slot(unsigned i);
/* A block that is no longer the harness's (freed by an attack). */
void fz_forget_slot(unsigned i);
/* Attack mode: bytes [a, a + n) were written by the attacker. */
void fz_taint(uintptr_t a, size_t n);
/* The live slot whose block starts at p, or -1. */
int fz_slot_at(const void *p);
/* The live slot whose checked window holds byte a, or -1. */
int fz_window_at(uintptr_t a);

#endif /* FZ_MODEL_H */

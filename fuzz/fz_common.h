/* fz_common.h: what bonbon's three fuzz targets share.
 *
 *   - fz_source: a bb_source over one fixed-address zone, reset between
 *     inputs, so that every input runs on a fresh heap at the same
 *     addresses (determinism, 100% AFL++ stability). It enforces a memory
 *     budget, can fail its N-th request (fault injection), counts the
 *     requests it refused (the model allows NULL only after one), checks
 *     that the allocator honours the source contract, and proves at the
 *     end of an input that bb_heap_destroy gave everything back.
 *   - the fatal hook: a detection inside the allocator longjmps back to
 *     the target, which decides whether it is a finding (fuzz_ops) or the
 *     expected outcome of an attack (fuzz_attack).
 *   - input hashing (every secret derives from the whole input), the size
 *     decoder, the content pattern, and fz_finding(), the one way a target
 *     reports a violated check: a line `bonbon-fuzz: FINDING <check>: ...`
 *     on stderr, then __builtin_trap().
 *
 * Everything here is single-threaded, like the targets.
 */
#ifndef FZ_COMMON_H
#define FZ_COMMON_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "bonbon.h"

#define FZ_PAGE 4096u

/* ------------------------------------------------------ memory source */

/* Fixed addresses: the segment zone (64 MiB-aligned reservations), the map
 * zone (metadata and mapped chunks: one 512 MiB region per size class)
 * and the harness zone (the attacker's buffer and the slot table, which
 * must stay outside the heap). */
#define FZ_ZONE_BASE ((uintptr_t)0x200000000000ull)
#define FZ_SEG_SLOT ((size_t)1 << 26)
#ifndef FZ_EACSL_ZONE
#define FZ_SEG_SLOTS 32u
#define FZ_MAP_CLASSES 16u
#define FZ_MAP_REGION ((size_t)512 << 20)
#define FZ_MAP_ZONE (FZ_MAP_CLASSES * FZ_MAP_REGION)
#else
/* The E-ACSL build (specs/eacsl/, with BB_EACSL): the zone is the first
 * 64 MiB-aligned address of bb_vheap onwards, the 1 GiB static array that
 * E-ACSL tracks (every word the instrumented core touches must be in it).
 * 11 segment slots (the corpus needs at most 11 reservations at once) and
 * a 254 MiB map zone (the largest budget is 192 MiB) fill it: 959 MiB,
 * plus at most 64 MiB of alignment. The map zone has no size classes
 * (they need 8 GiB of addresses): first fit, lowest first. */
#define FZ_SEG_SLOTS 11u
#define FZ_MAP_ZONE ((size_t)254 << 20)
#endif
#define FZ_HARNESS_ZONE ((size_t)1 << 20)

struct fz_stats {
  unsigned long calls;     /* reserve/commit/map/remap/protect requests */
  unsigned long refusals;  /* of those, refused (budget or injected) */
};

extern const bb_source *fz_source;   /* pass this in bb_heap_config */
/* The same source without its optional parts: FZ_SRC_NO_PURGE (the heap
 * decommits instead), FZ_SRC_NO_PROTECT (no guard pages, no sealing). */
#define FZ_SRC_NO_PURGE 1u
#define FZ_SRC_NO_PROTECT 2u
const bb_source *fz_source_variant(unsigned flags);
extern struct fz_stats fz_src_stats;

/* One-time setup (maps the zones). Aborts when the zones cannot be had. */
void fz_source_init(void);
/* Start an input: budget in bytes; fail_at = N > 0 refuses the N-th
 * request (counted from this call), 0 never. */
void fz_source_begin(size_t budget, unsigned long fail_at);
/* After fz_source_begin: the n-th purge or decommit of this input fails
 * (0: none). */
void fz_source_fail_give_back(unsigned long n);
/* Number of reservations and mappings still live. */
size_t fz_source_live(void);
/* Requests refused because the zone had no room (not the budget, not an
 * injected failure), since the start. */
unsigned long fz_source_zone_full(void);
/* Give everything back, whatever the allocator left (after a detection). */
void fz_source_reset(void);
/* The harness zone: FZ_HARNESS_ZONE bytes, read-write, fixed address. */
void *fz_harness_zone(void);

/* ------------------------------------------------------- fatal hook */

struct fz_fatal {
  sigjmp_buf *jmp;     /* where the hook jumps; NULL: report and trap */
  const char *check;   /* the allocator's message of the last detection */
  const void *addr;
};
extern struct fz_fatal fz_fatal;
void fz_install_hook(void);

/* ------------------------------------------------------- reporting */

extern int fz_trace;   /* FZ_TRACE=1: print every operation */
extern long fz_opno;   /* index of the record being run */
void fz_tracef(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
__attribute__((noreturn, format(printf, 2, 3))) void
fz_finding(const char *check, const char *fmt, ...);

/* ------------------------------------------------------- input helpers */

uint64_t fz_hash(const uint8_t *data, size_t len);
/* The heap's runtime options (BONBON_OPTIONS syntax) for selector byte b:
 * tcache_count (b & 3: default, 0, 1, 7), quarantine_kb (b >> 2 & 3:
 * default, 16, 64, 256; 4096 with b & 32: a ring of 65536 entries, which
 * small chunks fill before their bytes do), zero_max_kb=1024 (b & 16).
 * NULL: defaults. */
const char *fz_options(unsigned b);
uint64_t fz_mix(uint64_t x);

/* The size a 16-bit size code designates (see fz_common.c): exact small
 * sizes, every bin boundary +- 8, page multiples across the mapping
 * threshold, and the overflow edges. */
size_t fz_size(unsigned code);

static inline uint8_t fz_pat(uint32_t seed, size_t i) {
  return (uint8_t)((seed ^ (seed >> 11)) + i * 0x9du + (i >> 8) * 7u) | 1u;
}

static inline uint32_t fz_rd16(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8;
}
static inline uint32_t fz_rd32(const uint8_t *p) {
  return fz_rd16(p) | fz_rd16(p + 2) << 16;
}

/* Entry points every target defines (libFuzzer's names). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#endif /* FZ_COMMON_H */

/* bench.h: what every workload shares: a deterministic random generator,
 * the stamp written into every block, the one failure path, a clock and
 * an RSS reader.
 *
 * Why stamps: a benchmark that only times malloc and free cannot tell a
 * fast allocator from a broken one (two live blocks that overlap, a
 * realloc that loses data, one block handed to two threads). Every block
 * is stamped when it is allocated and verified before it is freed. A stamp
 * describes itself (tag, size, and words derived from both), so a thread
 * that frees a block another thread allocated can verify it too. The sum of
 * the verified tags is the run's digest: it depends on the workload's
 * parameters only, never on addresses or thread timing, so the runner also
 * compares it across allocators.
 *
 * The workloads know nothing of bonbon: they call malloc and free, and the
 * runner chooses the allocator with LD_PRELOAD. They are compiled with
 * -fno-builtin-malloc so that the compiler cannot elide a malloc/free pair.
 *
 * Output protocol (stdout, parsed by run.py):
 *   metric <name> <value> <unit>     zero or more, workload-specific
 *   check ok <digest>                last line, only when every check held
 * A failed check prints `CHECK FAILED: ...` on stderr and exits with 3.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------ failure */

static void __attribute__((noreturn, format(printf, 1, 2)))
bench_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("CHECK FAILED: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
  exit(3);
}

static inline void *bench_xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p)
    bench_fail("malloc(%zu) returned NULL", n);
  return p;
}

/* ------------------------------------------------------------- random */

/* splitmix64: one multiply-xorshift step per number, good enough to pick
 * sizes and slots, and the same sequence on every allocator. */
typedef struct { uint64_t s; } rng_t;

static inline uint64_t rng_next(rng_t *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/* Uniform in [0, n), without a division. */
static inline size_t rng_below(rng_t *r, size_t n) {
  return (size_t)(((unsigned __int128)rng_next(r) * n) >> 64);
}

/* A size in [lo, hi], log-uniform: every power of two in the range is
 * equally likely, then uniform inside it. Real programs allocate many more
 * small blocks than large ones; this is the usual simple model of that. */
static inline size_t rng_size(rng_t *r, size_t lo, size_t hi) {
  unsigned a = 63 - (unsigned)__builtin_clzll(lo);
  unsigned b = 63 - (unsigned)__builtin_clzll(hi);
  unsigned e = a + (unsigned)rng_below(r, b - a + 1);
  size_t base = (size_t)1 << e, n = base + rng_below(r, base);
  return n < lo ? lo : n > hi ? hi : n;
}

/* -------------------------------------------------------------- stamps
 * Layout for a block of n >= 16 bytes:
 *   word 0              tag (never 0)
 *   word 1              n
 *   every 4096 bytes    mix(tag + offset): touches every page of a large
 *                       block, as a program using it would
 *   last 8 bytes        mix(tag ^ n), possibly unaligned (n >= 24 only,
 *                       so that it never overlaps word 1)
 * Blocks are at least 16 bytes in every workload. */

static inline uint64_t stamp_mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  return x ^ (x >> 29);
}

static inline void stamp(void *p, size_t n, uint64_t tag) {
  uint64_t *w = p, last = stamp_mix(tag ^ n);
  w[0] = tag;
  w[1] = n;
  for (size_t off = 4096; off + 8 <= n - 8; off += 4096)
    w[off / 8] = stamp_mix(tag + off);
  if (n >= 24)
    memcpy((char *)p + n - 8, &last, 8);
}

/* Verify a stamped block and return its tag. n is the size the caller
 * expects, or 0 when only the block knows it (cross-thread frees). */
static inline uint64_t stamp_check(const void *p, size_t n) {
  const uint64_t *w = p;
  uint64_t tag = w[0], last;
  if (n == 0)
    n = w[1] < ((uint64_t)1 << 32) ? w[1] : 0; /* never scan garbage */
  if (tag == 0 || w[1] != n || n < 16)
    bench_fail("block %p: bad stamp (tag %llx, size %llu, expected %zu)",
               p, (unsigned long long)tag, (unsigned long long)w[1], n);
  for (size_t off = 4096; off + 8 <= n - 8; off += 4096)
    if (w[off / 8] != stamp_mix(tag + off))
      bench_fail("block %p (%zu bytes): word at +%zu overwritten", p, n, off);
  if (n < 24)
    return tag;
  memcpy(&last, (const char *)p + n - 8, 8);
  if (last != stamp_mix(tag ^ n))
    bench_fail("block %p (%zu bytes): last word overwritten", p, n);
  return tag;
}

/* --------------------------------------------------- clocks, RSS, args */

static inline uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Resident set size now, in KiB (the kernel's view, allocator-neutral). */
static inline long rss_kib(void) {
  long pages = 0, resident = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
      resident = 0;
    fclose(f);
  }
  return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Positional argument i as a positive integer, or def when absent. */
static inline long arg_long(int argc, char **argv, int i, long def) {
  if (i >= argc)
    return def;
  char *end;
  long v = strtol(argv[i], &end, 10);
  if (*end || v <= 0) {
    fprintf(stderr, "%s: bad argument '%s'\n", argv[0], argv[i]);
    exit(2);
  }
  return v;
}

static inline void metric(const char *name, double value, const char *unit) {
  printf("metric %s %.6g %s\n", name, value, unit);
}

static inline void check_ok(uint64_t digest) {
  printf("check ok %016llx\n", (unsigned long long)digest);
}

#endif /* BENCH_H */

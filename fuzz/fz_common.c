/* fz_common.c: hashing, the size decoder, the fatal hook and reporting,
 * shared by the fuzz targets (see fz_common.h). */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fz_common.h"
#include "internal.h"

int fz_trace;
long fz_opno = -1;
struct fz_fatal fz_fatal;

/* ---------------------------------------------------------- reporting */

void fz_tracef(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
}

void fz_finding(const char *check, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "bonbon-fuzz: FINDING %s: ", check);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, " (record %ld)\n", fz_opno);
  fflush(stderr);
  __builtin_trap();
}

/* -------------------------------------------------------- fatal hook */

static void hook(const char *check, const void *addr) {
  fz_fatal.check = check;
  fz_fatal.addr = addr;
  if (fz_trace)
    fz_tracef("  allocator detection: %s at %p\n", check, addr);
  if (fz_fatal.jmp)
    siglongjmp(*fz_fatal.jmp, 1);
  fz_finding("ALLOCATOR-FATAL", "%s at %p outside any run", check, addr);
}

static void init_bounds(void);

void fz_install_hook(void) {
  init_bounds(); /* here, not on first use: the same branches every run */
  const char *t = getenv("FZ_TRACE");
  fz_trace = t && *t && *t != '0';
  bb_set_fatal_hook(hook);
}

/* ------------------------------------------------------------ options */

const char *fz_options(unsigned b) {
  static const char *const tc[4] = {"", "tcache_count=0:", "tcache_count=1:",
                                    "tcache_count=7:"};
  static const char *const q[4] = {"", "quarantine_kb=16:",
                                    "quarantine_kb=64:", "quarantine_kb=256:"};
  static char buf[96];
  int n = snprintf(buf, sizeof buf, "%s%s%s", tc[b & 3], q[b >> 2 & 3],
                   b & 16 ? "zero_max_kb=1024:" : "");
  if (n <= 0)
    return NULL;
  buf[n - 1] = 0; /* the last ':' */
  return buf;
}

/* ------------------------------------------------------------ hashing */

uint64_t fz_mix(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* Every byte matters: any mutation of the input changes every secret. */
uint64_t fz_hash(const uint8_t *d, size_t len) {
  uint64_t h = 0x243f6a8885a308d3ull ^ len;
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, d + i, 8);
    h = fz_mix(h ^ w) + 0x9e3779b97f4a7c15ull;
  }
  uint64_t w = 0;
  memcpy(&w, d + i, len - i);
  return fz_mix(h ^ w ^ ((uint64_t)(len - i) << 56));
}

/* ------------------------------------------------------- size decoder
 *
 *   code >> 14 == 0: the exact size code & 0x3fff (0..16383)
 *              == 1: a bin boundary: the request whose chunk is exactly the
 *                    first size of a bin, + (code & 15) - 8 bytes
 *              == 2: ((code >> 2) & 0xfff) pages + {-8, 0, 8, 16} bytes,
 *                    across the mapping threshold up to 16 MiB
 *              == 3: a special size + (code & 15) - 8: thresholds, the
 *                    segment limit, the header limit and the overflow edges
 */
static size_t bounds[512];
static size_t nbounds;

static const size_t specials[] = {
    0,
    1,
    BB_MINSIZE,
    BB_FAST_MAX_SIZE,
    BB_MIN_LARGE,
    BB_TCACHE_MAX_SIZE,
    BB_CONSOLIDATE_SIZE,
    BB_MMAP_THRESHOLD,
    BB_MMAP_THRESHOLD + FZ_PAGE,
    BB_TOP_PAD,
    (size_t)1 << 20,
    BB_MMAP_THRESHOLD_MAX,
    BB_MMAP_THRESHOLD_MAX + FZ_PAGE,
    ((size_t)1 << BB_SEG_SHIFT) - 4 * FZ_PAGE,
    (size_t)1 << BB_SEG_SHIFT,
    (size_t)1 << 28,
    BB_MAX_CHUNK - BB_ALIGN - BB_WORD,
    BB_MAX_CHUNK,
    BB_T36,
    (size_t)1 << 40,
    (size_t)PTRDIFF_MAX - FZ_PAGE - 32,
    (size_t)PTRDIFF_MAX,
    (size_t)PTRDIFF_MAX + 9, /* -8..+7 reaches PTRDIFF_MAX + 1 */
    SIZE_MAX - FZ_PAGE,
    SIZE_MAX - 7,
    SIZE_MAX / 3,
};

static void init_bounds(void) {
  size_t last = 0;
  for (size_t s = BB_MINSIZE; s <= ((size_t)1 << 21) && nbounds < 512;
       s += BB_ALIGN) {
    size_t b = bb_bin_index(s);
    if (b != last)
      bounds[nbounds++] = s;
    last = b;
  }
}

size_t fz_size(unsigned code) {
  unsigned v = code & 0x3fff;
  long delta = (long)(v & 15) - 8;
  switch (code >> 14 & 3) {
  case 0:
    return v;
  case 1: {
    if (!nbounds)
      init_bounds();
    long s = (long)bounds[(v >> 4) % nbounds] - (long)BB_WORD + delta;
    return s < 0 ? 0 : (size_t)s;
  }
  case 2: {
    long s = (long)((v >> 2) * FZ_PAGE) + (long)(v & 3) * 8 - 8;
    return s < 0 ? 0 : (size_t)s;
  }
  default:
    return specials[(v >> 4) % (sizeof specials / sizeof specials[0])] +
           (size_t)delta;
  }
}

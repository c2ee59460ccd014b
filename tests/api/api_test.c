/* api_test: conformance of the public API to glibc's semantics, on the
 * process heap through the bb_ names (the sanitizer build has no others),
 * plus the standard names when the build exports them. */
#include <bonbon.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"

#ifndef BB_TEST_RUNG
#define BB_TEST_RUNG 2 /* the security rung the library was built at */
#endif

#define MAP_THRESHOLD (128 * 1024)

static void usable_ok(void *p, size_t n) {
  CHECKF(p != NULL, "malloc(%zu) failed", n);
  CHECKF((uintptr_t)p % 16 == 0, "malloc(%zu) = %p misaligned", n, p);
  size_t u = bb_malloc_usable_size(p);
  CHECKF(u >= n, "usable %zu < %zu", u, n);
  memset(p, 0xa5, u); /* every usable byte must be writable */
}

static void test_every_small_size(void) {
  for (size_t n = 0; n <= 65536; n++) {
    void *p = bb_malloc(n);
    usable_ok(p, n);
    bb_free(p);
  }
  /* Larger sizes, through the mapping threshold and beyond. */
  for (size_t n = 65536; n <= ((size_t)64 << 20); n = n * 5 / 4 + 4093) {
    void *p = bb_malloc(n);
    usable_ok(p, n);
    bb_free(p);
  }
}

static void test_malloc0(void) {
  void *a = bb_malloc(0), *b = bb_malloc(0);
  CHECK(a && b && a != b);
  usable_ok(a, 0);
  usable_ok(b, 0);
  bb_free(a);
  bb_free(b);
}

/* Sizes at every boundary: minimum chunk, fast bins, thread cache, small
 * and large bins, the mapping threshold and its maximum. */
static const size_t edges[] = {
    0,       1,       8,       23,      24,       25,       40,
    119,     120,     121,     1000,    1008,     1009,     1016,
    1024,    1031,    1032,    1033,    3000,     3072,     10752,
    45056,   65536,   131071,  131072,  131073,   262144,   1 << 20,
    5 << 20, 32 << 20, (32 << 20) + 1,
};
#define NEDGES (sizeof edges / sizeof edges[0])

static void test_realloc_keeps_contents(void) {
  uint64_t seed = 1;
  for (size_t i = 0; i < NEDGES; i++) {
    for (size_t j = 0; j < NEDGES; j++) {
      size_t from = edges[i], to = edges[j];
      unsigned char *p = bb_malloc(from);
      CHECK(p != NULL);
      t_fill(p, from, seed);
      unsigned char *q = bb_realloc(p, to);
      if (to == 0) { /* glibc: realloc(p, 0) frees p and returns NULL */
        CHECK(q == NULL);
        continue;
      }
      CHECK(q != NULL && (uintptr_t)q % 16 == 0);
      size_t keep = from < to ? from : to;
      CHECKF(t_verify(q, keep, seed) == keep, "realloc %zu -> %zu", from, to);
      CHECK(bb_malloc_usable_size(q) >= to);
      memset(q, 1, to);
      bb_free(q);
      seed++;
    }
  }
  /* Growth in place against a free neighbour, and shrink then grow. */
  unsigned char *p = bb_malloc(200);
  t_fill(p, 200, 99);
  void *guard = bb_malloc(16);
  p = bb_realloc(p, 100);
  CHECK(t_verify(p, 100, 99) == 100);
  p = bb_realloc(p, 5000);
  CHECK(t_verify(p, 100, 99) == 100);
  bb_free(p);
  bb_free(guard);
}

static void test_calloc_zero_on_reuse(void) {
  static const size_t sizes[] = {1, 24, 100, 1000, 5000, 70000, 200000};
  for (int round = 0; round < 3; round++) {
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
      void *p[8];
      for (int k = 0; k < 8; k++) {
        p[k] = bb_malloc(sizes[i]);
        memset(p[k], 0xff, sizes[i]);
      }
      for (int k = 0; k < 8; k++)
        bb_free(p[k]);
      for (int k = 0; k < 8; k++) {
        unsigned char *c = bb_calloc(1, sizes[i]);
        CHECK(c != NULL);
        for (size_t b = 0; b < sizes[i]; b++)
          CHECKF(c[b] == 0, "calloc(%zu) byte %zu not zero", sizes[i], b);
        p[k] = c;
      }
      for (int k = 0; k < 8; k++)
        bb_free(p[k]);
    }
  }
  unsigned char *c = bb_calloc(1000, 1000);
  CHECK(c != NULL);
  for (size_t b = 0; b < 1000000; b++)
    CHECK(c[b] == 0);
  bb_free(c);
}

#define EXPECT_ERRNO(expr, err)                                            \
  do {                                                                     \
    errno = 0;                                                             \
    void *r_ = (expr);                                                     \
    CHECKF(r_ == NULL && errno == (err), "%s: %p errno %d", #expr, r_,     \
           errno);                                                         \
  } while (0)

static void test_errno(void) {
  EXPECT_ERRNO(bb_malloc(SIZE_MAX), ENOMEM);
  EXPECT_ERRNO(bb_malloc(SIZE_MAX - 8), ENOMEM);
  EXPECT_ERRNO(bb_malloc((size_t)PTRDIFF_MAX + 1), ENOMEM);
  EXPECT_ERRNO(bb_calloc(SIZE_MAX / 2 + 1, 2), ENOMEM);
  EXPECT_ERRNO(bb_calloc(SIZE_MAX, SIZE_MAX), ENOMEM);
  EXPECT_ERRNO(bb_pvalloc(SIZE_MAX), ENOMEM);
  EXPECT_ERRNO(bb_memalign((size_t)1 << 62, 1), ENOMEM);
  EXPECT_ERRNO(bb_memalign((size_t)1 << 63, 1), ENOMEM); /* found by fuzzing */
  EXPECT_ERRNO(bb_aligned_alloc((size_t)1 << 63, 100), ENOMEM);
  EXPECT_ERRNO(bb_memalign(SIZE_MAX / 2 + 2, 1), EINVAL);
  EXPECT_ERRNO(bb_aligned_alloc(24, 48), EINVAL);
  EXPECT_ERRNO(bb_aligned_alloc(0, 48), EINVAL);

  /* A failed realloc or reallocarray leaves the block intact. */
  unsigned char *p = bb_malloc(100);
  t_fill(p, 100, 7);
  EXPECT_ERRNO(bb_realloc(p, SIZE_MAX), ENOMEM);
  EXPECT_ERRNO(bb_realloc(p, (size_t)PTRDIFF_MAX + 1), ENOMEM);
  EXPECT_ERRNO(bb_reallocarray(p, SIZE_MAX, 2), ENOMEM);
  EXPECT_ERRNO(bb_realloc(p, (size_t)1 << 50), ENOMEM);
  CHECK(t_verify(p, 100, 7) == 100);
  bb_free(p);

  void *q = (void *)1;
  errno = 1234;
  CHECK(bb_posix_memalign(&q, 24, 10) == EINVAL && q == (void *)1);
  CHECK(bb_posix_memalign(&q, 0, 10) == EINVAL);
  CHECK(bb_posix_memalign(&q, 4, 10) == EINVAL); /* < sizeof(void *) */
  CHECK(bb_posix_memalign(&q, (size_t)1 << 62, 10) == ENOMEM);
  CHECK(bb_posix_memalign(&q, (size_t)1 << 63, 10) == ENOMEM);
  CHECK(errno == 1234); /* posix_memalign reports through its result */
}

static void test_aligned(void) {
  for (size_t align = 1; align <= ((size_t)1 << 22); align *= 2) {
    static const size_t sizes[] = {0, 1, 17, 100, 4096, 70000, 300000};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
      void *p = bb_memalign(align, sizes[i]);
      usable_ok(p, sizes[i]);
      CHECKF((uintptr_t)p % align == 0, "memalign(%zu)", align);
      bb_free(p);
      void *q = NULL;
      if (align >= sizeof(void *)) {
        CHECK(bb_posix_memalign(&q, align, sizes[i]) == 0);
        usable_ok(q, sizes[i]);
        CHECK((uintptr_t)q % align == 0);
        bb_free(q);
      }
      q = bb_aligned_alloc(align, sizes[i]);
      usable_ok(q, sizes[i]);
      CHECK((uintptr_t)q % align == 0);
      bb_free(q);
    }
  }
  /* glibc's memalign rounds a non-power-of-two alignment up. */
  void *p = bb_memalign(48, 10);
  CHECK(p && (uintptr_t)p % 64 == 0);
  bb_free(p);
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  p = bb_valloc(10);
  CHECK(p && (uintptr_t)p % page == 0);
  bb_free(p);
  p = bb_pvalloc(0);
  CHECK(p && (uintptr_t)p % page == 0 && bb_malloc_usable_size(p) >= page);
  bb_free(p);
  p = bb_pvalloc(page + 1);
  CHECK(p && bb_malloc_usable_size(p) >= 2 * page);
  bb_free(p);
}

static void test_null_and_zero(void) {
  bb_free(NULL);
  CHECK(bb_malloc_usable_size(NULL) == 0);
  void *p = bb_realloc(NULL, 40);
  usable_ok(p, 40);
  errno = 0;
  CHECK(bb_realloc(p, 0) == NULL && errno == 0);
  p = bb_reallocarray(NULL, 10, 10);
  usable_ok(p, 100);
  bb_free_sized(p, 100);
  p = bb_aligned_alloc(64, 64);
  bb_free_aligned_sized(p, 64, 64);
}

static long rss_kib(void) {
  long pages = 0, res = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  CHECK(f && fscanf(f, "%ld %ld", &pages, &res) == 2);
  fclose(f);
  return res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void test_stats_and_trim(void) {
  struct bb_mallinfo2 before = bb_mallinfo2();
  void *p[64];
  for (int i = 0; i < 64; i++)
    p[i] = bb_malloc(50000);
  struct bb_mallinfo2 mid = bb_mallinfo2();
  CHECKF(mid.uordblks >= before.uordblks + 64 * 50000, "in use %zu -> %zu",
         before.uordblks, mid.uordblks);
  for (int i = 0; i < 64; i++)
    bb_free(p[i]);
  bb_malloc_trim(0);
  struct bb_mallinfo2 after = bb_mallinfo2();
  CHECKF(after.uordblks + 64 * 50000 <= mid.uordblks, "in use %zu -> %zu",
         mid.uordblks, after.uordblks);
  CHECK(after.uordblks <= after.arena);
}

/* Freed memory goes back to the OS on its own once the top exceeds the
 * trim threshold (128 KiB by default). */
static void test_auto_trim(void) {
  bb_heap_config cfg = {0};
  bb_heap *h = bb_heap_create(&cfg);
  void *p[64];
  for (int i = 0; i < 64; i++)
    p[i] = bb_heap_malloc(h, 50000);
  struct bb_mallinfo2 mid = bb_heap_mallinfo2(h);
  for (int i = 0; i < 64; i++)
    bb_heap_free(h, p[i]);
  struct bb_mallinfo2 after = bb_heap_mallinfo2(h);
  CHECKF(after.arena + 64 * 50000 - 256 * 1024 < mid.arena,
         "no automatic trim: %zu -> %zu", mid.arena, after.arena);
  /* The automatic trim keeps a pad for growth; malloc_trim(0) drops it. */
  CHECK(bb_heap_trim(h, 0) == 1);
  struct bb_mallinfo2 trimmed = bb_heap_mallinfo2(h);
  CHECKF(trimmed.arena + 64 * 1024 < after.arena, "malloc_trim(0): %zu -> %zu",
         after.arena, trimmed.arena);
  /* Free chunks between live ones cannot be trimmed; malloc_trim purges
   * the pages inside them. */
  void *hold = bb_heap_malloc(h, 100);
  for (int i = 0; i < 64; i++) {
    p[i] = bb_heap_malloc(h, 50000);
    memset(p[i], 1, 50000); /* resident */
  }
  for (int i = 0; i < 64; i += 2)
    bb_heap_free(h, p[i]); /* holes: no neighbour is free */
  long before = rss_kib();
  CHECK(bb_heap_trim(h, 0) == 1);
  long purged = rss_kib();
  CHECKF(purged + 32 * 50000 / 1024 * 3 / 4 < before,
         "malloc_trim: RSS %ld -> %ld KiB", before, purged);
  for (int i = 1; i < 64; i += 2)
    bb_heap_free(h, p[i]);
  bb_heap_free(h, hold);
  bb_heap_destroy(h);
}

/* glibc's dynamic threshold: after a mapped chunk of size s is freed,
 * chunks of that size come from the heap. */
static void test_dynamic_threshold(void) {
  size_t n = 1 << 20;
  struct bb_mallinfo2 m0 = bb_mallinfo2();
  void *p = bb_malloc(n);
  struct bb_mallinfo2 m1 = bb_mallinfo2();
  CHECK(m1.hblks == m0.hblks + 1);
  bb_free(p);
  p = bb_malloc(n);
  struct bb_mallinfo2 m2 = bb_mallinfo2();
  CHECKF(m2.hblks == m0.hblks, "still mapped after the threshold moved");
  bb_free(p);
}

/* A memory source that forwards to mmap and counts what is outstanding:
 * destroying a heap must give back every reservation and mapping. */
#include <sys/mman.h>
static long outstanding;
static void *c_reserve(void *ctx, size_t len, size_t align) {
  (void)ctx;
  char *p = mmap(NULL, len + align, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CHECK(p != MAP_FAILED);
  char *a = (char *)(((uintptr_t)p + align - 1) / align * align);
  if (a > p)
    munmap(p, (size_t)(a - p));
  munmap(a + len, (size_t)(p + align - a));
  outstanding++;
  return a;
}
static int c_commit(void *ctx, void *a, size_t n) {
  (void)ctx;
  return mprotect(a, n, PROT_READ | PROT_WRITE);
}
static int c_decommit(void *ctx, void *a, size_t n) {
  (void)ctx;
  return mmap(a, n, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1,
              0) == MAP_FAILED;
}
static void c_release(void *ctx, void *a, size_t n) {
  (void)ctx;
  munmap(a, n);
  outstanding--;
}
static void *c_map(void *ctx, size_t n) {
  (void)ctx;
  void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  CHECK(p != MAP_FAILED);
  outstanding++;
  return p;
}
static void *c_remap(void *ctx, void *a, size_t o, size_t n) {
  (void)ctx;
  void *p = mremap(a, o, n, MREMAP_MAYMOVE);
  return p == MAP_FAILED ? NULL : p;
}
static void c_unmap(void *ctx, void *a, size_t n) {
  (void)ctx;
  munmap(a, n);
  outstanding--;
}
static int c_protect(void *ctx, void *a, size_t n, int prot) {
  (void)ctx;
  return mprotect(a, n, prot == 2 ? PROT_READ | PROT_WRITE
                        : prot == 1 ? PROT_READ : PROT_NONE);
}

static void test_source_destroyed_whole(void) {
  bb_source src = {c_reserve, c_commit, c_decommit, c_release, c_map,
                   c_remap,   c_unmap,  c_protect,  NULL,      NULL};
  bb_heap_config cfg = {0};
  cfg.source = &src;
  bb_heap *h = bb_heap_create(&cfg);
  CHECK(h != NULL && outstanding > 0);
  void *keep[2000];
  for (int i = 0; i < 2000; i++) /* several segments and mapped chunks */
    keep[i] = bb_heap_malloc(h, (size_t)(i % 7 == 0 ? 300000 : 40000));
  CHECK(bb_heap_owns(h, keep[1999], 40000));
  bb_heap_destroy(h); /* everything at once, nothing freed first */
  CHECKF(outstanding == 0, "%ld reservations or mappings leaked", outstanding);
}

static void test_instance_heap(void) {
  bb_heap_config cfg = {0};
  cfg.seeded = 1;
  cfg.seed = 42;
  bb_heap *h = bb_heap_create(&cfg);
  CHECK(h != NULL);
  void *p = bb_heap_malloc(h, 100), *q = bb_heap_calloc(h, 10, 10);
  CHECK(p && q && bb_heap_usable_size(h, p) >= 100);
  CHECK(bb_heap_owns(h, p, 100) && !bb_heap_owns(h, &cfg, 1));
  CHECK(!bb_heap_owns(bb_process_heap(), p, 1));
  p = bb_heap_realloc(h, p, 100000);
  void *r = bb_heap_memalign(h, 4096, 5000);
  CHECK(r && (uintptr_t)r % 4096 == 0);
  void *big = bb_heap_malloc(h, 10 << 20);
  CHECK(big && bb_heap_owns(h, big, 10 << 20));
  CHECK(!bb_heap_is_empty(h));
  bb_heap_free(h, p);
  bb_heap_free(h, q);
  bb_heap_free(h, r);
  bb_heap_free(h, big);
  bb_check_report rep;
  CHECKF(bb_heap_check(h, &rep) == 0, "%s", rep.invariant);
  CHECK(bb_heap_is_empty(h));
  bb_heap_destroy(h);
}

/* Creates a heap with `options`, returns it, and puts what it printed on
 * stderr into out. */
static bb_heap *heap_with(const char *options, char *out, size_t cap) {
  FILE *tmp = tmpfile();
  CHECK(tmp != NULL);
  fflush(stderr);
  int saved = dup(2);
  dup2(fileno(tmp), 2);
  bb_heap_config cfg = {0};
  cfg.options = options;
  bb_heap *h = bb_heap_create(&cfg);
  dup2(saved, 2);
  close(saved);
  rewind(tmp);
  size_t n = fread(out, 1, cap - 1, tmp);
  out[n] = 0;
  fclose(tmp);
  CHECK(h != NULL);
  return h;
}

static void test_options(void) {
  char err[512];
  /* A quarantine: a freed block is not handed out again at once. */
  bb_heap *h = heap_with("quarantine_kb=64", err, sizeof err);
  CHECKF(err[0] == 0, "unexpected warning: %s", err);
  void *p = bb_heap_malloc(h, 64);
  bb_heap_free(h, p);
  void *q = bb_heap_malloc(h, 64);
  CHECK(q != p);
  bb_heap_free(h, q);
  bb_heap_destroy(h);
  /* Without it, the thread cache gives the same block back. */
  h = heap_with(NULL, err, sizeof err);
  p = bb_heap_malloc(h, 64);
  bb_heap_free(h, p);
  CHECK(bb_heap_malloc(h, 64) == p);
  bb_heap_destroy(h);
  /* Bad strings: one warning line each, and the defaults stay. */
  static const char *bad[] = {"bogus=1", "quarantine_kb=abc", "canary",
                              "quarantine_kb=99999999999",
                              "zero_on_free=1:quarantine_kb=-5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    h = heap_with(bad[i], err, sizeof err);
    char *nl = strchr(err, '\n');
    CHECKF(strncmp(err, "bonbon: BONBON_OPTIONS: ", 24) == 0 && nl &&
               nl[1] == 0 && strstr(err, "defaults used"),
           "option string %s: warning \"%s\"", bad[i], err);
    p = bb_heap_malloc(h, 64);
    bb_heap_free(h, p);
    CHECK(bb_heap_malloc(h, 64) == p); /* no quarantine was set */
    bb_heap_destroy(h);
  }
#if BB_TEST_RUNG >= 2
  /* At the default rung zero-on-free is on and cannot be turned off. */
  h = heap_with("zero_on_free=0", err, sizeof err);
  CHECKF(strstr(err, "out of range"), "floor not enforced: %s", err);
  bb_heap_destroy(h);
#endif
}

#ifdef BB_TEST_STD_NAMES
#include <malloc.h>
/* The standard names are bonbon's: a pointer from malloc() is one that
 * bb_malloc_usable_size accepts (it would abort on a foreign pointer). */
static void test_std_names(void) {
  void *p = malloc(77);
  CHECK(bb_malloc_usable_size(p) >= 77);
  p = realloc(p, 7777);
  CHECK(bb_malloc_usable_size(p) >= 7777 && malloc_usable_size(p) >= 7777);
  free(p);
  p = calloc(3, 5);
  CHECK(bb_malloc_usable_size(p) >= 15);
  free(p);
  CHECK(posix_memalign(&p, 256, 10) == 0 && (uintptr_t)p % 256 == 0);
  CHECK(bb_malloc_usable_size(p) >= 10);
  free(p);
  p = aligned_alloc(128, 256);
  CHECK(bb_malloc_usable_size(p) >= 256);
  free(p);
  struct mallinfo2 m = mallinfo2();
  CHECK(m.arena > 0);
}
#endif

int main(void) {
  test_dynamic_threshold(); /* first: later tests move the threshold */
  test_every_small_size();
  test_malloc0();
  test_realloc_keeps_contents();
  test_calloc_zero_on_reuse();
  test_errno();
  test_aligned();
  test_null_and_zero();
  test_stats_and_trim();
  test_instance_heap();
  test_source_destroyed_whole();
  test_auto_trim();
  test_options();
#ifdef BB_TEST_STD_NAMES
  test_std_names();
#endif
  bb_check_report rep;
  CHECKF(bb_heap_check(bb_process_heap(), &rep) == 0, "%s at %p: %s",
         rep.invariant, rep.addr, rep.detail);
  printf("api_test: all passed\n");
  return 0;
}

/* death_test: every detection of the validated metadata (issue: core,
 * point 5) triggered on purpose. Each case runs in a forked child, which
 * first prints on stdout the line it expects, then commits the misuse.
 * The parent requires death by SIGABRT and a stderr that is exactly
 * "bonbon: <check> at <address>\n", where <check> is fixed per case below.
 *
 * usage: death_test            run every case
 *        death_test CASE       run one case (as ctest does)
 *        death_test --list     list the cases */
#include <bonbon.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"
#include "internal.h" /* white-box cases forge links with the heap's keys */

#define TC_MAX 1032   /* largest request the thread cache holds */
#define TC_COUNT 16   /* chunks per thread-cache class */
#define SMALL 48      /* a fast-bin and thread-cache size */

/* The address the fatal line must name, written before the misuse
 * without stdio's buffer (whose allocation would meet the corruption). */
static void expect(const char *check, const void *addr) {
  char line[256];
  int n = snprintf(line, sizeof line, "bonbon: %s at %p\n", check, addr);
  CHECK(write(1, line, (size_t)n) == n);
}

/* Opaque to the optimizer, so misuse is not folded away. */
static void *volatile sink;
static void *launder(void *p) {
  sink = p;
  return sink;
}

static size_t *hdr(void *p) { return (size_t *)p - 1; }

/* Fill the thread cache for a size so that the next free of that size
 * takes the arena path. Returns nothing: the blocks stay cached. */
static void fill_tcache(size_t n) {
  void *p[TC_COUNT];
  for (int i = 0; i < TC_COUNT; i++)
    p[i] = bb_malloc(n);
  for (int i = 0; i < TC_COUNT; i++)
    bb_free(p[i]);
}

/* ------------------------------------------------- header integrity */

static void header_flip_free(void) {
  char *p = bb_malloc(100);
  for (int bit = 0; bit < 64; bit += 13) /* any bit: size, state, check */
    *hdr(p) ^= (size_t)1 << bit;
  expect("corrupted chunk header", p);
  bb_free(p);
}

static void header_flip_realloc(void) {
  char *p = bb_malloc(5000);
  *hdr(p) ^= (size_t)1 << 7; /* one bit of the size */
  expect("corrupted chunk header", p);
  bb_realloc(p, 10000);
}

static void header_flip_usable(void) {
  char *p = bb_malloc(300);
  *hdr(p) ^= (size_t)1 << 50; /* one bit of the check */
  expect("corrupted chunk header", p);
  bb_malloc_usable_size(p);
}

/* An overflow of a block into its neighbour's header is caught when the
 * neighbour's header is next read: here, when the neighbour is freed. */
static void header_overflow_next(void) {
  char *a = bb_malloc(2000), *b = bb_malloc(2000);
  bb_malloc(16); /* keep b off the top */
  size_t chunk = bb_h_size(*hdr(a));
  memset(a, 'A', chunk); /* the whole chunk and b's header */
  expect("corrupted chunk header", b);
  bb_free(b);
}

/* ------------------------------------------------------ encoded links */

static void tcache_poison_raw(void) {
  static char target[64] __attribute__((aligned(16)));
  char *p = bb_malloc(SMALL), *q = bb_malloc(SMALL);
  bb_free(q);
  bb_free(p);                      /* p is first, its link names q */
  *(void **)p = target + 16;       /* a raw pointer */
  expect("corrupted free-list link", p);
  bb_malloc(SMALL);
}

static void tcache_poison_masked(void) {
  static char target[64] __attribute__((aligned(16)));
  char *p = bb_malloc(SMALL), *q = bb_malloc(SMALL);
  bb_free(q);
  bb_free(p);
  /* glibc's safe-linking, as an attacker with a heap leak computes it */
  *(uintptr_t *)p = ((uintptr_t)p >> 12) ^ (uintptr_t)(target + 16);
  expect("corrupted free-list link", p);
  bb_malloc(SMALL);
}

static void fastbin_poison(void) {
  static char target[64] __attribute__((aligned(16)));
  char *p[TC_COUNT + 2];
  for (int i = 0; i < TC_COUNT + 2; i++)
    p[i] = bb_malloc(SMALL);
  for (int i = 0; i < TC_COUNT + 2; i++)
    bb_free(p[i]); /* the last two go to the fast bin */
  char *f = p[TC_COUNT + 1]; /* fast-bin head; its link names p[16] */
  *(void **)f = target + 16;
  expect("corrupted free-list link", f);
  for (int i = 0; i < TC_COUNT + 2; i++)
    bb_malloc(SMALL);
}

/* A link that decodes (forged with the heap's own key, as if the key had
 * leaked) but points outside the heap is still refused. */
static void link_outside_heap(void) {
  static char target[64] __attribute__((aligned(16)));
  struct bb_heap *h = bb_process_heap();
  char *p = bb_malloc(SMALL), *q = bb_malloc(SMALL);
  bb_free(q);
  bb_free(p);
  size_t c = bb_mem2chunk(p), v = bb_mem2chunk(target + 16);
  BB_W(c + 1) = bb_link_enc(&h->ro->keys, c + 1, v);
  expect("corrupted free-list link", p);
  bb_malloc(SMALL);
}

/* A well-formed link to a live chunk of another size: refused when that
 * chunk is taken, because its header is not a cached one of this size. */
static void link_wrong_class(void) {
  struct bb_heap *h = bb_process_heap();
  char *live = bb_malloc(500);
  char *p = bb_malloc(SMALL), *q = bb_malloc(SMALL);
  bb_free(q);
  bb_free(p);
  size_t c = bb_mem2chunk(p);
  BB_W(c + 1) = bb_link_enc(&h->ro->keys, c + 1, bb_mem2chunk(live));
  expect("corrupted thread cache", live);
  bb_malloc(SMALL);
  bb_malloc(SMALL);
}

/* -------------------------------------------------------- double free */

static void double_free_tcache(void) {
  char *p = bb_malloc(SMALL);
  bb_free(p);
  expect("double free", p);
  bb_free(launder(p));
}

static void double_free_aba(void) {
  char *a = bb_malloc(SMALL), *b = bb_malloc(SMALL);
  bb_free(a);
  bb_free(b);
  expect("double free", a);
  bb_free(launder(a));
}

static void double_free_fastbin(void) {
  fill_tcache(SMALL);
  char *p = bb_malloc(SMALL), *q = bb_malloc(SMALL);
  fill_tcache(SMALL);
  bb_free(p); /* fast bin */
  bb_free(q);
  expect("double free", p);
  bb_free(launder(p));
}

static void double_free_bin(void) {
  char *p = bb_malloc(5000);
  bb_malloc(16);
  bb_free(p); /* unsorted bin */
  expect("double free", p);
  bb_free(launder(p));
}

/* After the chunk merged with its free predecessor, its header says so. */
static void double_free_coalesced(void) {
  char *a = bb_malloc(5000), *b = bb_malloc(5000);
  bb_malloc(16);
  bb_free(a);
  bb_free(b); /* b merges into a */
  expect("double free", b);
  bb_free(launder(b));
}

/* A mapped chunk, once freed, is no longer ours: its address is invalid. */
static void double_free_mapped(void) {
  char *p = bb_malloc(64 << 20);
  bb_free(p);
  expect("invalid pointer", p);
  bb_free(launder(p));
}

static void *free_in_thread(void *p) {
  bb_free(p);
  return NULL;
}

static void double_free_other_thread(void) {
  char *p = bb_malloc(200);
  bb_malloc(16); /* p must not merge into the top when the thread exits */
  pthread_t t;
  pthread_create(&t, NULL, free_in_thread, p);
  pthread_join(t, NULL);
  expect("double free", p);
  bb_free(launder(p));
}

static void realloc_after_free(void) {
  char *p = bb_malloc(200);
  bb_free(p);
  expect("double free", p);
  bb_realloc(launder(p), 300);
}

static void usable_after_free(void) {
  char *p = bb_malloc(3000);
  bb_malloc(16);
  bb_free(p);
  expect("double free", p);
  bb_malloc_usable_size(launder(p));
}

/* -------------------------------------------------- pointer validation */

static void invalid_misaligned(void) {
  char *p = bb_malloc(100);
  expect("invalid pointer", p + 8);
  bb_free(p + 8);
}

static void invalid_misaligned_realloc(void) {
  char *p = bb_malloc(100);
  expect("invalid pointer", p + 1);
  bb_realloc(p + 1, 10);
}

static void invalid_interior(void) {
  char *p = bb_malloc(100);
  memset(p, 0, 100);
  expect("corrupted chunk header", p + 32);
  bb_free(p + 32);
}

/* House of spirit: a fake chunk with a plausible header on the stack. */
static void invalid_stack_spirit(void) {
  size_t fake[8] __attribute__((aligned(16)));
  char *real = bb_malloc(40);
  fake[1] = *hdr(real); /* a genuine header value, copied */
  expect("invalid pointer", &fake[2]);
  bb_free(launder(&fake[2]));
}

static void invalid_global(void) {
  static size_t fake[8] __attribute__((aligned(16)));
  fake[1] = 0x31;
  expect("invalid pointer", &fake[2]);
  bb_malloc_usable_size(launder(&fake[2]));
}

static void invalid_never_allocated(void) {
  char *p = bb_malloc(100);
  char *inside_top = p + 8192; /* committed heap memory never handed out */
  expect("corrupted chunk header", inside_top);
  bb_free(inside_top);
}

static void invalid_mapped_interior(void) {
  char *p = bb_malloc(64 << 20);
  expect("invalid pointer", p + 4096);
  bb_free(p + 4096);
}

/* A mapped chunk's header that claims another state is refused before
 * anything is unmapped (the record decides what is unmapped). */
static void mapped_header_forged(void) {
  struct bb_heap *h = bb_process_heap();
  char *p = bb_malloc(64 << 20);
  size_t c = bb_mem2chunk(p);
  BB_W(c) = bb_h_make(&h->ro->keys, c, BB_ST_INUSE, 1 << 20, 0);
  expect("corrupted mapped chunk", p);
  bb_free(p);
}

/* ---------------------------------------------------------- bin links */

static void unsorted_link(void) {
  char *a = bb_malloc(3000);
  bb_malloc(16);
  char *b = bb_malloc(3000);
  bb_malloc(16);
  bb_free(a);
  bb_free(b);                  /* unsorted: b, a */
  ((size_t *)a)[0] ^= 0x40;    /* a's fd */
  expect("corrupted bin links", a);
  bb_malloc(5000);             /* sorting the unsorted bin unlinks a */
}

static void smallbin_link(void) {
  void *hold[TC_COUNT];
  for (int i = 0; i < TC_COUNT; i++)
    hold[i] = bb_malloc(600); /* a and b must come from the arena */
  char *a = bb_malloc(600);
  bb_malloc(16);
  char *b = bb_malloc(600);
  bb_malloc(16);
  for (int i = 0; i < TC_COUNT; i++)
    bb_free(hold[i]);          /* the thread cache is full again */
  bb_free(a);
  bb_free(b);
  bb_malloc(5000);             /* a and b move to their small bin */
  ((size_t *)a)[1] += 16;      /* a's bk */
  for (int i = 0; i < TC_COUNT; i++)
    bb_malloc(600);            /* empty the thread cache */
  expect("corrupted bin links", a);
  bb_malloc(600);              /* the small bin's oldest chunk: a */
}

static void largebin_link(void) {
  char *a = bb_malloc(20000);
  bb_malloc(16);
  char *b = bb_malloc(20200); /* the same bin: 16 KiB..20 KiB */
  bb_malloc(16);
  bb_free(a);
  bb_free(b);
  bb_malloc(30000);            /* a and b move to the same large bin */
  ((size_t *)a)[1] ^= 0x40;    /* a's bk */
  expect("corrupted bin links", a);
  bb_malloc(19000);            /* best fit: a, the smallest that fits */
}

/* ---------------------------------------------------------------- top */

/* House of force: the top's header grown to cover everything. */
static void top_size(void) {
  char *p = bb_malloc(100);
  char *topmem = p + bb_h_size(*hdr(p)); /* the chunk after p: the top */
  *hdr(topmem) = (size_t)-1;
  expect("corrupted top chunk", topmem);
  bb_malloc(200000);
}

/* ------------------------------------------------------ the fatal hook */

static sigjmp_buf jump;
static const char *hook_check;
static const void *hook_addr;

static void hook(const char *check, const void *addr) {
  hook_check = check;
  hook_addr = addr;
  siglongjmp(jump, 1);
}

/* The hook sees the detection instead of the abort; the process lives. */
static void fatal_hook_catches(void) {
  bb_heap_config cfg = {0};
  bb_heap *h = bb_heap_create(&cfg);
  char *p = bb_heap_malloc(h, 64);
  bb_heap_free(h, p);
  bb_set_fatal_hook(hook);
  if (sigsetjmp(jump, 1) == 0) {
    bb_heap_free(h, p);
    exit(3); /* the double free went unnoticed */
  }
  bb_set_fatal_hook(NULL);
  if (strcmp(hook_check, "double free") != 0 || hook_addr != p)
    exit(4);
  bb_heap_destroy(h);
  /* Without the hook, the same misuse aborts. */
  char *q = bb_malloc(64);
  bb_free(q);
  expect("double free", q);
  bb_free(launder(q));
}

/* ------------------------------------------------------------ driver */

struct dcase {
  const char *name, *check;
  void (*fn)(void);
};

static const struct dcase cases[] = {
    {"header_flip_free", "corrupted chunk header", header_flip_free},
    {"header_flip_realloc", "corrupted chunk header", header_flip_realloc},
    {"header_flip_usable", "corrupted chunk header", header_flip_usable},
    {"header_overflow_next", "corrupted chunk header", header_overflow_next},
    {"tcache_poison_raw", "corrupted free-list link", tcache_poison_raw},
    {"tcache_poison_masked", "corrupted free-list link", tcache_poison_masked},
    {"fastbin_poison", "corrupted free-list link", fastbin_poison},
    {"link_outside_heap", "corrupted free-list link", link_outside_heap},
    {"link_wrong_class", "corrupted thread cache", link_wrong_class},
    {"double_free_tcache", "double free", double_free_tcache},
    {"double_free_aba", "double free", double_free_aba},
    {"double_free_fastbin", "double free", double_free_fastbin},
    {"double_free_bin", "double free", double_free_bin},
    {"double_free_coalesced", "double free", double_free_coalesced},
    {"double_free_mapped", "invalid pointer", double_free_mapped},
    {"double_free_other_thread", "double free", double_free_other_thread},
    {"realloc_after_free", "double free", realloc_after_free},
    {"usable_after_free", "double free", usable_after_free},
    {"invalid_misaligned", "invalid pointer", invalid_misaligned},
    {"invalid_misaligned_realloc", "invalid pointer", invalid_misaligned_realloc},
    {"invalid_interior", "corrupted chunk header", invalid_interior},
    {"invalid_stack_spirit", "invalid pointer", invalid_stack_spirit},
    {"invalid_global", "invalid pointer", invalid_global},
    {"invalid_never_allocated", "corrupted chunk header", invalid_never_allocated},
    {"invalid_mapped_interior", "invalid pointer", invalid_mapped_interior},
    {"mapped_header_forged", "corrupted mapped chunk", mapped_header_forged},
    {"unsorted_link", "corrupted bin links", unsorted_link},
    {"smallbin_link", "corrupted bin links", smallbin_link},
    {"largebin_link", "corrupted bin links", largebin_link},
    {"top_size", "corrupted top chunk", top_size},
    {"fatal_hook_catches", "double free", fatal_hook_catches},
};
#define NCASES (sizeof cases / sizeof cases[0])

static ssize_t read_all(int fd, char *buf, size_t cap) {
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = 0;
  return (ssize_t)n;
}

static int run_case(const struct dcase *c) {
  int out[2], err[2];
  CHECK(pipe(out) == 0 && pipe(err) == 0);
  fflush(NULL);
  pid_t pid = fork();
  CHECK(pid >= 0);
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    c->fn();
    _exit(0); /* reached only when nothing was detected */
  }
  close(out[1]);
  close(err[1]);
  char want[512], got[512];
  read_all(out[0], want, sizeof want);
  read_all(err[0], got, sizeof got);
  close(out[0]);
  close(err[0]);
  int st;
  CHECK(waitpid(pid, &st, 0) == pid);
  char prefix[128];
  snprintf(prefix, sizeof prefix, "bonbon: %s at 0x", c->check);
  int ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
           strncmp(want, prefix, strlen(prefix)) == 0 &&
           strcmp(want, got) == 0;
  printf("%-28s %s\n", c->name, ok ? "ok" : "FAILED");
  if (!ok)
    printf("  status %#x (signal %d)\n  expected: %s  got:      %s\n", st,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0, want, got);
  return ok;
}

int main(int argc, char **argv) {
  int failed = 0, ran = 0;
  for (size_t i = 0; i < NCASES; i++) {
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
      printf("%s\n", cases[i].name);
      continue;
    }
    if (argc > 1 && strcmp(argv[1], cases[i].name) != 0)
      continue;
    ran++;
    failed += !run_case(&cases[i]);
  }
  if (argc > 1 && strcmp(argv[1], "--list") == 0)
    return 0;
  CHECKF(ran > 0, "no case named %s", argc > 1 ? argv[1] : "");
  return failed ? 1 : 0;
}

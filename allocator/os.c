/* os.c: the only file that talks to the kernel. It provides the default
 * memory source (bb_os_source) and the page size, CPU count and random
 * bytes the heaps need. Nothing here allocates. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

size_t bb_os_page(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (size_t)p : 4096u;
}

unsigned bb_os_ncpu(void) {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0)
      return (unsigned)n;
  }
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1u;
}

static ssize_t from_getrandom(int fd, void *p, size_t n) {
  (void)fd;
  return syscall(SYS_getrandom, p, n, 0);
}

static ssize_t from_fd(int fd, void *p, size_t n) { return read(fd, p, n); }

/* Fill [p, p+len) from `source`, retrying after signals; returns the bytes
 * still missing. */
static size_t fill(ssize_t (*source)(int, void *, size_t), int fd,
                   unsigned char *p, size_t len) {
  while (len > 0) {
    ssize_t r = source(fd, p, len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    p += r;
    len -= (size_t)r;
  }
  return len;
}

int bb_os_random(void *buf, size_t len) {
  if (fill(from_getrandom, -1, buf, len) == 0)
    return 0;
  int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  size_t missing = fill(from_fd, fd, buf, len);
  close(fd);
  return missing == 0 ? 0 : -1;
}

/* ------------------------------------------------ the default source */

static void *os_reserve(void *ctx, size_t len, size_t align) {
  (void)ctx;
  size_t span = len + align;
  if (span < len)
    return NULL;
  char *p = mmap(NULL, span, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    return NULL;
  uintptr_t start = ((uintptr_t)p + align - 1) / align * align;
  size_t head = start - (uintptr_t)p;
  if (head)
    munmap(p, head);
  size_t tail = span - head - len;
  if (tail)
    munmap((char *)start + len, tail);
  return (void *)start;
}

static int os_commit(void *ctx, void *addr, size_t len) {
  (void)ctx;
  return mprotect(addr, len, PROT_READ | PROT_WRITE);
}

/* Replacing the pages frees them and their commit charge at once. */
static int os_decommit(void *ctx, void *addr, size_t len) {
  (void)ctx;
  void *p = mmap(addr, len, PROT_NONE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1,
                 0);
  return p == MAP_FAILED ? -1 : 0;
}

static void os_release(void *ctx, void *addr, size_t len) {
  (void)ctx;
  munmap(addr, len);
}

static void *os_map(void *ctx, size_t len) {
  (void)ctx;
  void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? NULL : p;
}

static void *os_remap(void *ctx, void *addr, size_t old_len, size_t new_len) {
  (void)ctx;
  void *p = mremap(addr, old_len, new_len, MREMAP_MAYMOVE);
  return p == MAP_FAILED ? NULL : p;
}

static void os_unmap(void *ctx, void *addr, size_t len) {
  (void)ctx;
  munmap(addr, len);
}

static int os_protect(void *ctx, void *addr, size_t len, int prot) {
  (void)ctx;
  static const int map[3] = {PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
  return mprotect(addr, len, map[prot < 0 || prot > 2 ? 0 : prot]);
}

static int os_purge(void *ctx, void *addr, size_t len) {
  (void)ctx;
  return madvise(addr, len, MADV_DONTNEED);
}

const bb_source bb_os_source = {
    os_reserve, os_commit, os_decommit, os_release, os_map,
    os_remap,   os_unmap,  os_protect,  os_purge,   NULL,
};

/* ------------------------------------------------------------- locks */

void bb_lock_init(bb_lock_t *l) { pthread_mutex_init(l, NULL); }
void bb_lock(bb_lock_t *l) { pthread_mutex_lock(l); }
int bb_trylock(bb_lock_t *l) { return pthread_mutex_trylock(l) == 0; }
void bb_unlock(bb_lock_t *l) { pthread_mutex_unlock(l); }

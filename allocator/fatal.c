/* fatal.c: the one fatal path. Every hardening check that fails ends
 * here with a short fixed name; nothing after a detected corruption runs
 * allocator code again. It formats without stdio or malloc, because the
 * heap it reports on cannot be trusted. */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

static bb_fatal_hook fatal_hook;

bb_fatal_hook bb_set_fatal_hook(bb_fatal_hook hook) {
  return __atomic_exchange_n(&fatal_hook, hook, __ATOMIC_ACQ_REL);
}

void bb_write_err(const char *s) {
  size_t n = 0;
  while (s[n])
    n++;
  while (n > 0) {
    ssize_t w = write(2, s, n);
    if (w <= 0)
      return;
    s += w;
    n -= (size_t)w;
  }
}

void bb_fatal(const char *check, const void *addr) {
  bb_fatal_hook hook = __atomic_load_n(&fatal_hook, __ATOMIC_ACQUIRE);
  if (hook)
    hook(check, addr); /* may longjmp: the fuzzers catch detections here */
  char line[160], *o = line;
  const char *pre = "bonbon: ";
  while (*pre)
    *o++ = *pre++;
  for (const char *s = check; *s && o < line + 100; s++)
    *o++ = *s;
  const char *at = " at 0x";
  while (*at)
    *o++ = *at++;
  uintptr_t v = (uintptr_t)addr;
  char hex[16];
  int n = 0;
  do {
    hex[n++] = "0123456789abcdef"[v % 16];
    v /= 16;
  } while (v);
  while (n)
    *o++ = hex[--n];
  *o++ = '\n';
  *o = 0;
  bb_write_err(line);
  abort();
}

/* stats.c: mallinfo2 and malloc_stats, summed over the arenas of a heap
 * under their locks. malloc_stats prints glibc's format to stderr without
 * stdio, which could allocate. */
#include <string.h>

#include "internal.h"

struct bb_mallinfo2 bb_heap_mallinfo2(bb_heap *h) {
  struct bb_mallinfo2 m;
  memset(&m, 0, sizeof m);
  unsigned na = __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < na; i++) {
    struct bb_arena *a = h->ro->arenas[i];
    bb_lock(&a->lock);
    size_t top = a->top ? bb_h_size(BB_W(a->top)) : 0;
    m.arena += a->system;
    m.ordblks += a->nbinned + (a->top != 0);
    m.smblks += a->nfastc;
    m.fsmblks += a->fastbytes;
    m.fordblks += a->binned + a->fastbytes + top;
    m.keepcost += top;
    bb_unlock(&a->lock);
  }
  m.uordblks = m.arena - m.fordblks;
  bb_lock(&h->map_lock);
  m.hblks = h->mcount;
  m.hblkhd = h->mbytes;
  bb_unlock(&h->map_lock);
  return m;
}

/* label, v right-aligned in `width` columns, then `end`. */
static char *put(char *o, const char *label, size_t v, int width,
                 const char *end) {
  while (*label)
    *o++ = *label++;
  char d[24];
  int n = 0;
  do {
    d[n++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  for (int pad = width - n; pad > 0; pad--)
    *o++ = ' ';
  while (n)
    *o++ = d[--n];
  while (*end)
    *o++ = *end++;
  return o;
}

void bb_malloc_stats(void) {
  struct bb_heap *h = bb_process_heap();
  if (!h)
    return;
  char buf[256];
  size_t sys = 0, used = 0;
  unsigned na = __atomic_load_n(&h->narenas, __ATOMIC_ACQUIRE);
  for (unsigned i = 0; i < na; i++) {
    struct bb_arena *a = h->ro->arenas[i];
    bb_lock(&a->lock);
    size_t top = a->top ? bb_h_size(BB_W(a->top)) : 0;
    size_t s = a->system, u = a->system - a->binned - a->fastbytes - top;
    bb_unlock(&a->lock);
    char *o = put(buf, "Arena ", i, 0, ":\n");
    o = put(o, "system bytes     = ", s, 10, "\n");
    o = put(o, "in use bytes     = ", u, 10, "\n");
    *o = 0;
    bb_write_err(buf);
    sys += s;
    used += u;
  }
  bb_lock(&h->map_lock);
  size_t mb = h->mbytes, mmax = h->mmax_count, mbmax = h->mmax_bytes;
  bb_unlock(&h->map_lock);
  char *o = buf;
  o = put(o, "Total (incl. mmap):\nsystem bytes     = ", sys + mb, 10, "\n");
  o = put(o, "in use bytes     = ", used + mb, 10, "\n");
  o = put(o, "max mmap regions = ", mmax, 10, "\n");
  o = put(o, "max mmap bytes   = ", mbmax, 10, "\n");
  *o = 0;
  bb_write_err(buf);
}

#ifndef BB_NO_STD_NAMES
void malloc_stats(void) BB_ALIAS(bb_malloc_stats);
#endif

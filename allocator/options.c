/* options.c: the runtime options, parsed once per heap from a string such
 * as BONBON_OPTIONS="quarantine_kb=256:zero_on_free=1".
 *
 * Every option is declared once, in BB_OPTIONS (internal.h), with its
 * default at each security rung and its range. For a protection, the
 * rung's default is also its floor: options can make a build stricter at
 * run time, never weaker than the rung it was compiled at. A bad string gets one warning line on
 * stderr and the defaults stay. The process heap ignores BONBON_OPTIONS in
 * secure-execution mode (setuid and the like), as glibc ignores its
 * tunables. Parsing allocates nothing. */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "internal.h"

struct opt_decl {
  const char *name;
  size_t def, min, max;
};

static const struct opt_decl decls[] = {
#define BB_OPT_DECL(field, def, min, max, what) {#field, def, min, max},
    BB_OPTIONS(BB_OPT_DECL)
#undef BB_OPT_DECL
};
#define NOPTS (sizeof decls / sizeof decls[0])

static size_t *slot(struct bb_options *o, size_t i) {
  size_t *fields[] = {
#define BB_OPT_FIELD(field, def, min, max, what) &o->field,
      BB_OPTIONS(BB_OPT_FIELD)
#undef BB_OPT_FIELD
  };
  return fields[i];
}

static void warn(const char *what, const char *entry, size_t len) {
  char line[200], *o = line;
  const char *parts[] = {"bonbon: BONBON_OPTIONS: ", what, " \""};
  for (size_t p = 0; p < 3; p++)
    for (const char *s = parts[p]; *s && o < line + 120; s++)
      *o++ = *s;
  for (size_t i = 0; i < len && o < line + 170; i++)
    *o++ = entry[i];
  const char *tail = "\"; defaults used\n";
  while (*tail)
    *o++ = *tail++;
  *o = 0;
  bb_write_err(line);
}

/* Parse one `name=value` entry of length len; 0, or -1 with a warning. */
static int parse_entry(struct bb_options *o, const char *e, size_t len) {
  const char *eq = memchr(e, '=', len);
  if (!eq) {
    warn("expected name=value in", e, len);
    return -1;
  }
  size_t nlen = (size_t)(eq - e);
  for (size_t i = 0; i < NOPTS; i++) {
    if (strlen(decls[i].name) != nlen || memcmp(decls[i].name, e, nlen))
      continue;
    size_t v = 0, digits = 0;
    for (const char *d = eq + 1; d < e + len; d++, digits++) {
      if (*d < '0' || *d > '9' || v > (SIZE_MAX - 9) / 10) {
        warn("not a number in", e, len);
        return -1;
      }
      v = v * 10 + (size_t)(*d - '0');
    }
    if (digits == 0 || v < decls[i].min || v > decls[i].max) {
      warn("value out of range in", e, len);
      return -1;
    }
    *slot(o, i) = v;
    return 0;
  }
  warn("unknown option in", e, len);
  return -1;
}

void bb_options_init(struct bb_options *o, const char *s) {
  for (size_t i = 0; i < NOPTS; i++)
    *slot(o, i) = decls[i].def;
  if (!s || !*s)
    return;
  struct bb_options parsed = *o;
  for (const char *e = s; *e;) {
    const char *end = strchr(e, ':');
    size_t len = end ? (size_t)(end - e) : strlen(e);
    if (len && parse_entry(&parsed, e, len) != 0)
      return; /* one warning, and every option keeps its default */
    e += len + (end ? 1 : 0);
  }
  *o = parsed;
}

const char *bb_options_env(void) {
  if (getauxval(AT_SECURE))
    return NULL;
  return getenv("BONBON_OPTIONS");
}

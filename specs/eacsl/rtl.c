/* rtl.c: E-ACSL's runtime library (e_acsl_rtl.c, compiled as upstream's
 * e-acsl-gcc.sh does), plus eacsl_rtl_setup(), which replay.c's main
 * calls first thing, to work around two problems of Debian's E-ACSL 25:
 *
 * 1. The instrumented code computes many of its terms with GMP integers.
 *    E-ACSL means GMP to allocate from its private memory space ("Private
 *    allocators usable within RTL and GMP", internals/e_acsl_malloc.h), but
 *    the system libgmp allocates with malloc, which the runtime library
 *    replaces with its tracked one: every GMP integer then costs shadow
 *    memory updates, and they fill the tracked heap (128 MB), which the
 *    fuzz corpus replay outgrows. eacsl_rtl_setup() sends GMP to the
 *    private space, before any GMP integer exists. The instrumented code
 *    never reads GMP's memory through a pointer, so E-ACSL has nothing to
 *    check there: no verdict changes.
 * 2. The runtime's initialisation, called by the instrumented main,
 *    registers the environment strings by walking them with `environ++`
 *    (observation_model/segment_model/e_acsl_segment_observation_model.c),
 *    which leaves environ empty: every getenv returns NULL. A constructor
 *    saves environ before main; eacsl_rtl_setup() puts it back (the strings
 *    stay registered, as E-ACSL left them). */
#include "e_acsl_rtl.c"

/* gmp.h conflicts with E-ACSL's own GMP declarations. */
void __gmp_set_memory_functions(void *(*)(size_t),
                                void *(*)(void *, size_t, size_t),
                                void (*)(void *, size_t));

static void *gmp_alloc(size_t n) { return private_malloc(n); }

static void *gmp_realloc(void *p, size_t old, size_t n) {
  (void)old;
  return private_realloc(p, n);
}

static void gmp_free(void *p, size_t n) {
  (void)n;
  private_free(p);
}

static char **saved_environ;

__attribute__((constructor)) static void save_environ(void) {
  saved_environ = environ;
}

void eacsl_rtl_setup(void) {
  __gmp_set_memory_functions(gmp_alloc, gmp_realloc, gmp_free);
  environ = saved_environ;
}

/* replay_main.c: the standalone driver. It runs a fuzz target on files
 * and directories (recursively), without libFuzzer, so that ctest can
 * replay corpus/ and every regression on any build. `-v` prints every
 * operation (FZ_TRACE=1). Exit status 0 when every input passed; a
 * finding traps (SIGILL) like it does under a fuzzer. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

static unsigned long count;
static int verbose;

static void run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  static uint8_t buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  /* A copy of exactly n bytes, so that reading past it is caught. */
  uint8_t *copy = malloc(n ? n : 1);
  memcpy(copy, buf, n);
  if (verbose)
    fprintf(stderr, "== %s (%zu bytes)\n", path, n);
  LLVMFuzzerTestOneInput(copy, n);
  free(copy);
  count++;
}

static int cmp(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void run_path(const char *path) {
  struct stat st;
  if (stat(path, &st) != 0) {
    perror(path);
    exit(2);
  }
  if (!S_ISDIR(st.st_mode))
    return run_file(path);
  DIR *d = opendir(path);
  if (!d) {
    perror(path);
    exit(2);
  }
  char **names = NULL;
  size_t n = 0;
  for (struct dirent *e; (e = readdir(d));) {
    if (e->d_name[0] == '.')
      continue;
    names = realloc(names, (n + 1) * sizeof *names);
    if (asprintf(&names[n++], "%s/%s", path, e->d_name) < 0)
      exit(2);
  }
  closedir(d);
  qsort(names, n, sizeof *names, cmp); /* a stable order */
  for (size_t i = 0; i < n; i++) {
    run_path(names[i]);
    free(names[i]);
  }
  free(names);
}

int main(int argc, char **argv) {
  int first = 1;
  if (argc > 1 && strcmp(argv[1], "-v") == 0) {
    verbose = 1;
    setenv("FZ_TRACE", "1", 1);
    first = 2;
  }
  if (first >= argc) {
    fprintf(stderr, "usage: %s [-v] FILE|DIR...\n", argv[0]);
    return 2;
  }
  LLVMFuzzerInitialize(&argc, &argv);
  for (int i = first; i < argc; i++)
    run_path(argv[i]);
  fprintf(stderr, "%s: %lu inputs passed\n", argv[0], count);
  return 0;
}

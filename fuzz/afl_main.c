/* afl_main.c: the AFL++ driver. Persistent mode with shared-memory input:
 * one process runs up to 100000 inputs (each on a fresh heap, so every
 * run is independent and stability stays at 100%), reading each from the
 * shared test-case buffer instead of a file. The deferred fork server
 * starts after the one-time setup (the fixed-address zones).
 * Built by fuzz/build_afl.sh with afl-clang-fast; with any other compiler
 * it reads one input from stdin, or runs the files named on the command
 * line, so the same file builds everywhere. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);

#ifndef __AFL_FUZZ_TESTCASE_LEN
static ssize_t fuzz_len;
static unsigned char fuzz_buf[1 << 20];
#define __AFL_FUZZ_TESTCASE_LEN fuzz_len
#define __AFL_FUZZ_TESTCASE_BUF fuzz_buf
#define __AFL_FUZZ_INIT() void afl_sync(void)
#define __AFL_LOOP(x)                                                       \
  ((fuzz_len = read(0, fuzz_buf, sizeof fuzz_buf)) > 0 ? 1 : 0)
#define __AFL_INIT() afl_sync()
#endif

__AFL_FUZZ_INIT();

static void run_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    perror(path);
    exit(2);
  }
  static uint8_t buf[1 << 20];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  LLVMFuzzerTestOneInput(buf, n);
}

int main(int argc, char **argv) {
  LLVMFuzzerInitialize(&argc, &argv);
  if (argc > 1) { /* reproduce: run the named files */
    for (int i = 1; i < argc; i++)
      run_file(argv[i]);
    return 0;
  }
  __AFL_INIT();
  unsigned char *buf = __AFL_FUZZ_TESTCASE_BUF;
  while (__AFL_LOOP(100000)) {
    size_t len = (size_t)__AFL_FUZZ_TESTCASE_LEN;
    LLVMFuzzerTestOneInput(buf, len);
  }
  return 0;
}

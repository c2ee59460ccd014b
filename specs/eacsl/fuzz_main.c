/* fuzz_main.c: the fuzz corpus replay of the E-ACSL build. Not
 * instrumented: like fuzz/replay_main.c, which it includes, it drives a
 * fuzz target (fuzz/fuzz_ops.c or fuzz/fuzz_attack.c, also plain) over
 * files and directories; the core the target calls is the instrumented
 * one, so every call into it checks its contract, and a violation aborts
 * with E-ACSL's report. The memory source is fuzz/fz_source.c built with
 * FZ_EACSL_ZONE: its zone is in bb_vheap, the static array of source.c.
 *
 * build.sh compiles this file once per target, naming the target's entry
 * points and this driver (FZ_ENTRY, called by replay.c's main) apart:
 *   -DFZ_ENTRY=eacsl_fuzz_ops -DFZ_REPLAY=fz_ops_replay
 *   -DLLVMFuzzerInitialize=... -DLLVMFuzzerTestOneInput=...
 * (the target's own file gets the same two LLVMFuzzer* names). */
#define main FZ_REPLAY
#include "../../fuzz/replay_main.c"
#undef main

unsigned long fz_source_zone_full(void);
int FZ_ENTRY(int argc, char **argv);

/* The replay fails when the zone, smaller than the fuzzers' own (see
 * fuzz/fz_common.h), refused a request for lack of room: the input may
 * then not run as it does in fuzz_replay_* (on the corpus, neither zone
 * ever runs out). */
int FZ_ENTRY(int argc, char **argv) {
  int st = FZ_REPLAY(argc, argv);
  unsigned long full = fz_source_zone_full();
  fprintf(stderr, "%s: %lu requests refused for lack of room in the zone\n",
          argv[0], full);
  /* exit here rather than return to the instrumented main: once main
   * returns, E-ACSL has torn down its memory spaces, and an atexit
   * handler (fuzz_attack's FZ_STATS=1 report) prints nothing. */
  fflush(stderr);
  exit(st ? st : full != 0);
}

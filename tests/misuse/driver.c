/* driver: runs one misuse program in a child, RUNS times, and asserts the
 * outcome exactly.
 *
 * usage: misuse_driver SIGNAL CHECK RUNS PROGRAM [ARGS...]
 *   SIGNAL  SIGABRT: death by SIGABRT, and stderr is exactly the line the
 *                    program wrote on stdout, which must read
 *                    "bonbon: CHECK at 0x..."
 *           SIGSEGV: death by SIGSEGV (a guard page), nothing on stderr
 *           none:    exit status 0, nothing on stderr
 *   RUNS    each run passes its number (1..RUNS) as a last argument, which
 *           programs use as the seed of a random corruption: for checks
 *           that are probabilistic (keyed), every run must detect it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void read_all(int fd, char *buf, size_t cap) {
  size_t n = 0;
  ssize_t r;
  while (n + 1 < cap && (r = read(fd, buf + n, cap - 1 - n)) > 0)
    n += (size_t)r;
  buf[n] = 0;
}

static int run(char **argv, int run_no, const char *sig, const char *check) {
  int out[2], err[2];
  if (pipe(out) != 0 || pipe(err) != 0)
    return 0;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    execv(argv[0], argv);
    _exit(127);
  }
  close(out[1]);
  close(err[1]);
  char want[1024], got[4096];
  read_all(out[0], want, sizeof want);
  read_all(err[0], got, sizeof got);
  close(out[0]);
  close(err[0]);
  int st;
  waitpid(pid, &st, 0);
  int ok;
  if (strcmp(sig, "SIGABRT") == 0) {
    char prefix[256];
    snprintf(prefix, sizeof prefix, "bonbon: %s at 0x", check);
    ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT &&
         strncmp(want, prefix, strlen(prefix)) == 0 && strcmp(want, got) == 0;
  } else if (strcmp(sig, "SIGSEGV") == 0) {
    ok = WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV && got[0] == 0;
  } else {
    ok = WIFEXITED(st) && WEXITSTATUS(st) == 0 && got[0] == 0;
  }
  if (!ok) {
    printf("run %d: FAILED\n  status: %s %d\n  expected: %s%s\n  stderr:   %s\n",
           run_no, WIFSIGNALED(st) ? "signal" : "exit",
           WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), sig,
           want[0] ? "" : " (no line written)", got);
    if (want[0])
      printf("  line:     %s", want);
  }
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s SIGNAL CHECK RUNS PROGRAM [ARGS...]\n", argv[0]);
    return 2;
  }
  const char *sig = argv[1], *check = argv[2];
  int runs = atoi(argv[3]), nargs = argc - 4, failed = 0;
  char **args = calloc((size_t)nargs + 2, sizeof *args);
  char seed[16];
  memcpy(args, argv + 4, (size_t)nargs * sizeof *args);
  args[nargs] = seed;
  for (int r = 1; r <= runs; r++) {
    snprintf(seed, sizeof seed, "%d", r);
    failed += !run(args, r, sig, check);
  }
  printf("%s: %d/%d runs ended as expected (%s%s%s)\n", argv[4],
         runs - failed, runs, sig, strcmp(sig, "SIGABRT") ? "" : ", ",
         strcmp(sig, "SIGABRT") ? "" : check);
  free(args);
  return failed ? 1 : 0;
}

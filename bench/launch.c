/* launch.c: run one benchmark process and report what the kernel measured.
 *
 *   launch OUT PRELOAD CMD [ARGS...]
 *
 * Runs CMD with LD_PRELOAD=PRELOAD (none when PRELOAD is empty), waits for
 * it with wait4(), and writes one line to the file OUT:
 *   <exit status> <user s> <sys s> <wall s> <peak RSS KiB>
 * CPU time and peak RSS cover CMD and every descendant it waited for.
 *
 * Why not spawn CMD from run.py directly: at exec, Linux carries the peak
 * RSS of the address space being replaced into the new program's
 * ru_maxrss. A child spawned by the Python runner would start with
 * Python's RSS (~16 MiB) as its "peak", which would hide the real peak of
 * every small workload. This launcher is small, so the floor it passes on
 * is about 1 MiB; and it does not run on the allocator under test itself,
 * since only CMD gets the LD_PRELOAD.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double secs(struct timeval tv) {
  return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: launch OUT PRELOAD CMD [ARGS...]\n");
    return 2;
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid_t pid = fork();
  if (pid < 0) {
    perror("launch: fork");
    return 2;
  }
  if (pid == 0) {
    if (argv[2][0])
      setenv("LD_PRELOAD", argv[2], 1);
    execvp(argv[3], argv + 3);
    perror("launch: exec");
    _exit(127);
  }
  int status;
  struct rusage ru;
  if (wait4(pid, &status, 0, &ru) < 0) {
    perror("launch: wait4");
    return 2;
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  FILE *f = fopen(argv[1], "w");
  if (!f) {
    perror("launch: output file");
    return 2;
  }
  fprintf(f, "%d %.6f %.6f %.6f %ld\n", status, secs(ru.ru_utime),
          secs(ru.ru_stime),
          (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
          ru.ru_maxrss);
  fclose(f);
  return 0;
}

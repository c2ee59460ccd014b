/* fork: fork() while other threads allocate and free, 200 times. Each
 * child, which inherits whatever locks those threads held, must allocate,
 * use and free memory (a thread-cache miss, a large block and a mapped
 * block, so every lock is taken), pass the heap checker, and exit 0.
 * A deadlock in the child shows as a timeout; the parent kills it. */
#include <bonbon.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../test.h"

#define WORKERS 4
#define FORKS 200

static volatile int stop;

static void *worker(void *arg) {
  uint64_t r = (uint64_t)(intptr_t)arg + 1;
  void *keep[128] = {0};
  while (!stop) {
    int i = (int)(t_rand(&r) % 128);
    bb_free(keep[i]);
    size_t n = t_rand(&r) % 3 == 0 ? t_rand(&r) % 300000 : t_rand(&r) % 2000;
    keep[i] = bb_malloc(n);
    CHECK(keep[i] != NULL);
    memset(keep[i], 1, n < 256 ? n : 256);
  }
  for (int i = 0; i < 128; i++)
    bb_free(keep[i]);
  return NULL;
}

static int child(void) {
  void *p[64];
  for (int i = 0; i < 64; i++) {
    p[i] = bb_malloc((size_t)(i * 97 % 3000) + 1);
    if (!p[i])
      return 2;
    memset(p[i], 7, 1);
  }
  void *big = bb_malloc(5 << 20), *mid = bb_malloc(200000);
  if (!big || !mid)
    return 3;
  memset(big, 1, 5 << 20);
  for (int i = 0; i < 64; i++)
    bb_free(p[i]);
  bb_free(big);
  bb_free(mid);
  bb_check_report rep;
  if (bb_heap_check(bb_process_heap(), &rep) != 0) {
    fprintf(stderr, "child: %s: %s\n", rep.invariant, rep.detail);
    return 4;
  }
  return 0;
}

int main(void) {
  pthread_t th[WORKERS];
  for (int i = 0; i < WORKERS; i++)
    CHECK(pthread_create(&th[i], NULL, worker, (void *)(intptr_t)i) == 0);
  for (int f = 0; f < FORKS; f++) {
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
      alarm(20); /* a deadlocked child dies by SIGALRM */
      _exit(child());
    }
    int st;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECKF(WIFEXITED(st) && WEXITSTATUS(st) == 0,
           "fork %d: child status %#x (signal %d)", f, st,
           WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    usleep(500);
  }
  stop = 1;
  for (int i = 0; i < WORKERS; i++)
    pthread_join(th[i], NULL);
  printf("fork: %d forks while %d threads allocated; every child allocated\n",
         FORKS, WORKERS);
  return 0;
}

/* The physical limit for a plugin call on this machine: a 64-byte request and reply over a
 * Unix socketpair between two processes. Prints the median and 99th percentile round trip in
 * microseconds: "pingpong_us p50 p99". */
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void* a, const void* b) {
  double x = *(const double*)a, y = *(const double*)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char** argv) {
  int n = argc > 1 ? atoi(argv[1]) : 20000;
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
  char buf[64] = {0};
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    for (int i = 0; i < n; ++i) {
      if (read(sv[1], buf, sizeof buf) != sizeof buf) _exit(1);
      if (write(sv[1], buf, sizeof buf) != sizeof buf) _exit(1);
    }
    _exit(0);
  }
  close(sv[1]);
  double* samples = malloc(sizeof(double) * (size_t)n);
  for (int i = 0; i < n; ++i) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (write(sv[0], buf, sizeof buf) != sizeof buf) return 1;
    if (read(sv[0], buf, sizeof buf) != sizeof buf) return 1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    samples[i] = (double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3;
  }
  waitpid(pid, NULL, 0);
  qsort(samples, (size_t)n, sizeof(double), cmp);
  printf("pingpong_us %.2f %.2f\n", samples[n / 2], samples[(int)(n * 0.99)]);
  free(samples);
  return 0;
}

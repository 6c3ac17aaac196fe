/* The baseline for tensor-pack's bench: one memcpy of N bytes into freshly mapped memory (page
 * faults included, as a new shared-memory segment has them) and into memory already touched.
 * and into memory mapped with MAP_POPULATE inside the timing (the cheapest way to get new memory,
 * zeroing included). The last is the best of three, so a slow moment of a noisy machine does not
 * flatter what is compared with it. Prints "fresh_seconds warm_seconds populated_seconds". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  size_t n = argc > 1 ? strtoull(argv[1], 0, 10) : (1UL << 30);
  char *src = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *dst = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (src == MAP_FAILED || dst == MAP_FAILED) return 1;
  memset(src, 1, n);
  double t0 = now();
  memcpy(dst, src, n);
  double fresh = now() - t0;
  t0 = now();
  memcpy(dst, src, n);
  double warm = now() - t0;
  munmap(dst, n);
  double populated = 0;
  int last = 0;
  for (int round = 0; round < 3; round++) {
    t0 = now();
    char *pop = mmap(0, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (pop == MAP_FAILED) return 1;
    memcpy(pop, src, n);
    double seconds = now() - t0;
    last += pop[n - 1];
    munmap(pop, n);
    if (round == 0 || seconds < populated) populated = seconds;
  }
  printf("%.4f %.4f %.4f %d\n", fresh, warm, populated, last);
  return 0;
}

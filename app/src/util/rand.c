/* rand.c -- see rand.h */
#include <stdint.h>
#include <sys/random.h>

#include "clock.h"
#include "rand.h"

/* A zero state would stay zero forever: it is also "not seeded yet". */
static _Thread_local uint64_t state[2];

static void seed(void)
{
  if (getrandom(state, sizeof(state), 0) == (ssize_t)sizeof(state) &&
      (state[0] || state[1]))
    return;
  /* No kernel entropy (a seccomp filter, a very old kernel): the time and
   * this thread's stack address still differ between threads and runs. */
  state[0] = (uint64_t)clock_now_ns() ^ ((uint64_t)(uintptr_t)&state << 16);
  state[1] = 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)state;
}

uint64_t rand_u64(void)
{
  uint64_t a, b;

  if (!state[0] && !state[1])
    seed();
  a = state[0];
  b = state[1];
  state[0] = b;
  a ^= a << 23;
  state[1] = a ^ b ^ (a >> 17) ^ (b >> 26);
  return state[1] + b;
}

uint64_t rand_below(uint64_t n)
{
  uint64_t limit, r;

  if (!n)
    return 0;
  /* The largest multiple of n that fits: values at or above it would make
   * the low residues more likely. */
  limit = UINT64_MAX - UINT64_MAX % n;
  do
    r = rand_u64();
  while (r >= limit);
  return r % n;
}

void rand_hex_id(char out[RAND_ID_LEN + 1])
{
  static const char hex[] = "0123456789abcdef";
  uint64_t r = rand_u64();
  int i;

  for (i = 0; i < RAND_ID_LEN; i++) {
    if (i == RAND_ID_LEN / 2)
      r = rand_u64();
    out[i] = hex[r & 15];
    r >>= 4;
  }
  out[RAND_ID_LEN] = '\0';
}

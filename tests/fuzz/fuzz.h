/* fuzz.h -- helpers shared by the libFuzzer targets (test code, not s3json)
 *
 * FUZZ_CHECK: an invariant of the module under test; a failure aborts, so
 * libFuzzer saves the input as a crash like any sanitizer report.
 *
 * struct fdp: a small FuzzedDataProvider in C, after LLVM's
 * compiler-rt/include/fuzzer/FuzzedDataProvider.h. Integers come from the
 * END of the input and strings from the front, so a mutation of one does not
 * shift the other. A string ends at a backslash followed by any other byte
 * ("\\\\" is one backslash), as in ConsumeRandomLengthString, which keeps
 * seed files readable: "GET\\n/a b\\n...". Every string is its own malloc'd
 * block of exactly its length + 1, so ASan catches any over-read; all are
 * freed by fdp_free().
 */
#ifndef HEADER_S3JSON_FUZZ_H
#define HEADER_S3JSON_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                       \
  do {                                                                         \
    if (!(cond)) {                                                             \
      fprintf(stderr, "FUZZ_CHECK failed: %s (%s:%d)\n", #cond, __FILE__,      \
              __LINE__);                                                       \
      abort();                                                                 \
    }                                                                          \
  } while (0)

#define FDP_MAX_STRINGS 512 /* strings one input may take */

struct fdp {
  const uint8_t *p; /* unread bytes */
  size_t n;
  char *owned[FDP_MAX_STRINGS]; /* freed by fdp_free */
  size_t nowned;
};

static inline void fdp_init(struct fdp *f, const uint8_t *p, size_t n)
{
  f->p = p;
  f->n = n;
  f->nowned = 0;
}

static inline void fdp_free(struct fdp *f)
{
  size_t i;

  for (i = 0; i < f->nowned; i++)
    free(f->owned[i]);
  f->nowned = 0;
}

/* One byte from the end; 0 once the input is used up. */
static inline uint8_t fdp_u8(struct fdp *f)
{
  if (!f->n)
    return 0;
  f->n--;
  return f->p[f->n];
}

static inline uint32_t fdp_u32(struct fdp *f)
{
  uint32_t v = 0;
  int i;

  for (i = 0; i < 4; i++)
    v = v << 8 | fdp_u8(f);
  return v;
}

static inline uint64_t fdp_u64(struct fdp *f)
{
  return (uint64_t)fdp_u32(f) << 32 | fdp_u32(f);
}

/* A string of at most 'max' bytes from the front (NUL bytes end it early,
 * since the APIs fuzzed take C strings). Never NULL: "" when out of
 * strings or memory. */
static inline const char *fdp_str(struct fdp *f, size_t max)
{
  size_t i = 0, o = 0;
  char *s;

  if (f->nowned == FDP_MAX_STRINGS)
    return "";
  s = malloc(f->n < max ? f->n + 1 : max + 1);
  if (!s)
    return "";
  while (i < f->n && o < max) {
    char c = (char)f->p[i++];
    if (c == '\\' && i < f->n) {
      c = (char)f->p[i++];
      if (c != '\\')
        break;
    }
    s[o++] = c;
  }
  s[o] = '\0';
  f->p += i;
  f->n -= i;
  f->owned[f->nowned++] = s;
  return s;
}

/* The rest of the front of the input, as a string. */
static inline const char *fdp_rest(struct fdp *f)
{
  const char *s;
  char *c;

  if (f->nowned == FDP_MAX_STRINGS)
    return "";
  c = malloc(f->n + 1);
  if (!c)
    return "";
  memcpy(c, f->p, f->n);
  c[f->n] = '\0';
  f->p += f->n;
  f->n = 0;
  f->owned[f->nowned++] = c;
  s = c;
  return s;
}

/* An exact-size NUL-terminated copy of 'n' bytes (free() it), or NULL. */
static inline char *fuzz_strndup(const uint8_t *p, size_t n)
{
  char *s = malloc(n + 1);

  if (s) {
    memcpy(s, p, n);
    s[n] = '\0';
  }
  return s;
}

#endif /* HEADER_S3JSON_FUZZ_H */

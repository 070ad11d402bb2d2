/* str.c -- see str.h */
#include <string.h>

#include "str.h"

char *str_dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

size_t str_copy(char *dst, size_t cap, const char *src)
{
  size_t n = strlen(src), k = n < cap ? n : cap - 1;

  memcpy(dst, src, k);
  dst[k] = '\0';
  return n;
}

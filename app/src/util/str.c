/* str.c -- see str.h */
#include <string.h>

#include "str.h"

char *str_dup_or_null(const char *s)
{
  return s ? strdup(s) : NULL;
}

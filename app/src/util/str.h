/* str.h -- small string helpers shared by modules */
#ifndef HEADER_S3JSON_STR_H
#define HEADER_S3JSON_STR_H

#include <stddef.h>

/* A malloc'd copy of 's', or NULL when 's' is NULL or memory is short (the
 * caller cannot tell the two apart: use it where NULL is a valid value). */
char *str_dup_or_null(const char *s);

/* Copies 'src' into 'dst' of 'cap' bytes (cap >= 1), cut to cap - 1 and
 * always NUL-terminated; returns strlen(src), so a result >= cap means it
 * was cut (strlcpy's contract). For the hot path, where snprintf("%s")
 * cost ~600 instructions per call (callgrind, docs/benchmarks.md). */
size_t str_copy(char *dst, size_t cap, const char *src);

#endif

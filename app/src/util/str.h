/* str.h -- small string helpers shared by modules */
#ifndef HEADER_S3JSON_STR_H
#define HEADER_S3JSON_STR_H

/* A malloc'd copy of 's', or NULL when 's' is NULL or memory is short (the
 * caller cannot tell the two apart: use it where NULL is a valid value). */
char *str_dup_or_null(const char *s);

#endif

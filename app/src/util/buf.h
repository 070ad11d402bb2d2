/* buf.h -- growable byte buffer with a hard size cap
 *
 * Every buffer that holds bytes from the network (S3 bodies, XML, JSON from
 * the credentials endpoints) is a struct buf with a cap set at init, so a
 * hostile or broken peer can never make us allocate without bound.
 *
 * A buffer made with buf_init_secret holds secrets (a session token, a
 * signing key): every byte it held is wiped before its memory goes back to
 * the allocator, when it grows (no realloc, which would leave the old
 * block as it was), is reset, or is freed. buf_detach hands that duty to
 * the caller.
 */
#ifndef HEADER_S3JSON_BUF_H
#define HEADER_S3JSON_BUF_H

#include <stddef.h>

struct buf {
  char *data;  /* NUL-terminated after every append (not counted in len) */
  size_t len;  /* bytes used */
  size_t size; /* bytes allocated */
  size_t cap;  /* largest len allowed; appends past it fail */
  int secret;  /* wipe on grow, reset and free (buf_init_secret) */
};

enum buf_code {
  BUF_OK = 0,   /* 0 */
  BUF_TOO_BIG,  /* 1: the append would pass 'cap'; buffer unchanged */
  BUF_NO_MEMORY /* 2: allocation failed; buffer unchanged */
};

void buf_init(struct buf *b, size_t cap);
void buf_init_secret(struct buf *b, size_t cap);
void buf_free(struct buf *b);  /* accepts a zeroed or freed buffer */
void buf_reset(struct buf *b); /* len = 0, keeps the allocation (wiped
                                  if secret) */
enum buf_code buf_append(struct buf *b, const void *p, size_t n);
enum buf_code buf_append_str(struct buf *b, const char *s);
enum buf_code buf_append_char(struct buf *b, char c);
enum buf_code buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (free() them); the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len);

#endif /* HEADER_S3JSON_BUF_H */

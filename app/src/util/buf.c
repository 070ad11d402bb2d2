/* buf.c -- growable byte buffer with a hard size cap */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"

void buf_init(struct buf *b, size_t cap)
{
  b->data = NULL;
  b->len = 0;
  b->size = 0;
  b->cap = cap;
  b->secret = 0;
}

void buf_init_secret(struct buf *b, size_t cap)
{
  buf_init(b, cap);
  b->secret = 1;
}

/* explicit_bzero, not memset: the compiler may not drop it as a dead store
 * before free(). */
static void wipe(struct buf *b)
{
  if (b->secret && b->data)
    explicit_bzero(b->data, b->size);
}

void buf_free(struct buf *b)
{
  wipe(b);
  free(b->data);
  b->data = NULL;
  b->len = 0;
  b->size = 0;
}

void buf_reset(struct buf *b)
{
  wipe(b);
  b->len = 0;
  if (b->data)
    b->data[0] = '\0';
}

/* realloc, or for a secret buffer: a new block, the old one wiped. */
static char *grow(struct buf *b, size_t size)
{
  char *p;

  if (!b->secret)
    return realloc(b->data, size);
  p = malloc(size);
  if (p && b->data) {
    memcpy(p, b->data, b->len + 1);
    wipe(b);
    free(b->data);
  }
  return p;
}

/* Makes room for 'n' more bytes plus the terminating NUL. */
static enum buf_code buf_reserve(struct buf *b, size_t n)
{
  size_t need, size;
  char *p;

  if (n > b->cap || b->len > b->cap - n)
    return BUF_TOO_BIG;
  need = b->len + n + 1;
  if (need <= b->size)
    return BUF_OK;
  size = b->size ? b->size : 256;
  while (size < need)
    size = size > (size_t)-1 / 2 ? need : size * 2;
  p = grow(b, size);
  if (!p)
    return BUF_NO_MEMORY;
  b->data = p;
  b->size = size;
  return BUF_OK;
}

enum buf_code buf_append(struct buf *b, const void *p, size_t n)
{
  enum buf_code rc = buf_reserve(b, n);

  if (rc != BUF_OK)
    return rc;
  if (n)
    memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return BUF_OK;
}

enum buf_code buf_append_str(struct buf *b, const char *s)
{
  return buf_append(b, s, strlen(s));
}

enum buf_code buf_append_char(struct buf *b, char c)
{
  return buf_append(b, &c, 1);
}

enum buf_code buf_printf(struct buf *b, const char *fmt, ...)
{
  va_list ap;
  int n;
  enum buf_code rc;

  va_start(ap, fmt);
  n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0)
    return BUF_NO_MEMORY;
  rc = buf_reserve(b, (size_t)n);
  if (rc != BUF_OK)
    return rc;
  va_start(ap, fmt);
  vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  b->len += (size_t)n;
  return BUF_OK;
}

char *buf_detach(struct buf *b, size_t *len)
{
  char *p = b->data;

  if (!p) {
    p = calloc(1, 1);
    if (!p)
      return NULL;
  }
  if (len)
    *len = b->len;
  b->data = NULL;
  b->len = 0;
  b->size = 0;
  return p;
}

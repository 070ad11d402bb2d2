/* fake_objects.h -- the fake S3 behind the cache in unit tests
 *
 * Objects by key, answered as s3_get_object would: body, ETag and a fixed
 * Last-Modified, S3_NOT_MODIFIED when If-None-Match is the object's ETag,
 * S3_NOT_FOUND for other keys. Header-only (each unit test is one .c
 * file); test_cache.c and test_routes.c wrap it in their fetch functions.
 */
#ifndef S3JSON_TEST_FAKE_OBJECTS_H
#define S3JSON_TEST_FAKE_OBJECTS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "s3/client.h"

#define FAKE_LAST_MODIFIED "Tue, 24 Nov 2026 20:00:00 GMT"

struct fake_object {
  const char *key;
  const char *body;
  const char *etag;
};

static struct fake_object objects[8];
static size_t nobjects;

/* Adds or replaces the object at 'key' (strings are not copied). */
static inline void put(const char *key, const char *body, const char *etag)
{
  size_t i;

  for (i = 0; i < nobjects && strcmp(objects[i].key, key); i++)
    ;
  objects[i].key = key;
  objects[i].body = body;
  objects[i].etag = etag;
  if (i == nobjects)
    nobjects++;
}

static inline enum s3_code fake_objects_get(const char *key,
                                            const struct s3_conditions *cond,
                                            struct s3_object *out)
{
  size_t i;

  for (i = 0; i < nobjects && strcmp(objects[i].key, key); i++)
    ;
  if (i == nobjects)
    return S3_NOT_FOUND;
  snprintf(out->etag, sizeof(out->etag), "%s", objects[i].etag);
  snprintf(out->last_modified, sizeof(out->last_modified), "%s",
           FAKE_LAST_MODIFIED);
  if (cond && cond->if_none_match &&
      !strcmp(cond->if_none_match, objects[i].etag))
    return S3_NOT_MODIFIED;
  out->body = strdup(objects[i].body);
  out->len = strlen(objects[i].body);
  return out->body ? S3_OK : S3_NO_MEMORY;
}

#endif

/* auth_ident.h -- an identity as verify.c makes one, for the tests of the
 * caches that hold identities (tcache, memo). Include after <cmocka.h>. */
#ifndef HEADER_S3JSON_TEST_AUTH_IDENT_H
#define HEADER_S3JSON_TEST_AUTH_IDENT_H

#include <stdio.h>
#include <stdlib.h>

#include "auth/verify.h"

/* One reference, owned by the caller; 'sub' as the token's. */
static inline struct auth_identity *test_identity(const char *sub)
{
  struct auth_identity *id = calloc(1, sizeof(*id) + 1);

  assert_non_null(id);
  atomic_init(&id->refs, 1);
  snprintf(id->sub, sizeof(id->sub), "%s", sub);
  return id;
}

#endif /* HEADER_S3JSON_TEST_AUTH_IDENT_H */

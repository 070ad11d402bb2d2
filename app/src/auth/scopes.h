/* scopes.h -- which document names a token's `scope` claim grants
 *
 * The `scope` claim is a space-separated list (RFC 8693 4.2). Only the
 * scopes that start with the configured prefix P (S3JSON_JWT_SCOPE_PREFIX,
 * default "s3json/read:") grant anything; the rest is ignored. Cognito's
 * scope names cannot hold '/', which document names use, so ':' stands for
 * '/':
 *   P*             every name
 *   Pteam:*        the names under "team/" (never "team" itself, never
 *                  "teamx/..."), at any depth: "team/a", "team/a/b"
 *   Pteam:a:*      the names under "team/a/"
 *   Pteam:a        exactly the name "team/a"
 * Any other '*' and any '/' after P make a scope that grants nothing, so a
 * typo cannot widen access. Pure functions: no allocation, no locks.
 */
#ifndef HEADER_S3JSON_AUTH_SCOPES_H
#define HEADER_S3JSON_AUTH_SCOPES_H

/* 1 when one scope of 'scopes' (NULL = none) with 'prefix' grants 'name'
 * (a decoded document name, e.g. "team/a"); else 0. */
int auth_scope_allows(const char *scopes, const char *prefix, const char *name);

/* 1 when 'scopes' holds at least one scope with 'prefix' that grants some
 * name: the listing answers 403 without one, else shows the names
 * auth_scope_allows() grants. */
int auth_scope_any(const char *scopes, const char *prefix);

#endif /* HEADER_S3JSON_AUTH_SCOPES_H */

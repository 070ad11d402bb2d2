/* cors.h -- CORS for browsers: an exact allow-list of origins (pure)
 *
 * S3JSON_CORS_ORIGINS is a comma-separated list of exact origins
 * (scheme://host[:port], lower case, as browsers send them); empty means
 * CORS is off and nothing here changes a reply. There is no wildcard: a
 * token-bearing API answers only the origins it was told about.
 *
 * When on:
 *   - every reply gets "Vary: Origin" (so a shared cache never hands one
 *     origin's reply to another), and a request from an allowed origin gets
 *     Access-Control-Allow-Origin: <that origin> and
 *     Access-Control-Expose-Headers (ETag, X-Cache, X-Request-Id);
 *   - a preflight (OPTIONS /api or /api/... with Origin and
 *     Access-Control-Request-Method) is answered by the caller without S3
 *     and without a token (browsers send none on a preflight): 204 with the
 *     allowed methods and headers when the origin is allowed and the method
 *     is GET or HEAD, else a 403 JSON error (see cors_classify).
 *
 * No allocation, no I/O; Access-Control-Allow-Credentials is never sent:
 * a bearer token travels in Authorization, which needs no credentials mode.
 */
#ifndef HEADER_S3JSON_CORS_H
#define HEADER_S3JSON_CORS_H

#include <stddef.h>

struct http_reply;

#define CORS_MAX_ORIGINS 16
#define CORS_ORIGIN_MAX 128 /* bytes of one origin, NUL included */
/* How long a browser may reuse a preflight: 10 minutes, Chromium's cap
 * before version 76 and well under Firefox's 24 h. */
#define CORS_MAX_AGE "600"

struct cors {
  unsigned n; /* 0 = CORS off */
  char origins[CORS_MAX_ORIGINS][CORS_ORIGIN_MAX];
};

/*
 * Parses 'list' (NULL or "" = off) into 'c'. Returns 0, or -1 with one
 * sentence in 'why' (at most 'whylen' bytes) naming the entry at fault,
 * e.g. `"https://a.example/" has a path`; 'c' is then off.
 */
int cors_parse(struct cors *c, const char *list, char *why, size_t whylen);

/* 1 when 'origin' (may be NULL) is exactly one of the allowed origins. */
int cors_origin_allowed(const struct cors *c, const char *origin);

enum cors_preflight {
  CORS_NOT_PREFLIGHT,    /* not a preflight, or CORS off: route as usual */
  CORS_PREFLIGHT_OK,     /* answer with cors_preflight_reply() */
  CORS_PREFLIGHT_REFUSED /* answer 403: origin not allowed, or a method
                            other than GET/HEAD requested */
};

/*
 * What a request is: a preflight is an OPTIONS on /api or /api/... while
 * CORS is on ('path' raw, without the query). 'origin' and 'acrm' (the
 * Access-Control-Request-Method header) may be NULL. An OPTIONS without
 * them while CORS is on is REFUSED too: it is no preflight, and nothing
 * else answers OPTIONS here.
 */
enum cors_preflight cors_classify(const struct cors *c, const char *method,
                                  const char *path, const char *origin,
                                  const char *acrm);

/* Fills 'rep' (freshly initialised) as a 204 preflight answer: allowed
 * methods and headers, Max-Age. cors_decorate() adds the origin. */
void cors_preflight_reply(struct http_reply *rep);

/* Adds Vary: Origin (merged into an existing Vary) to every reply when
 * CORS is on, and the allow and expose headers when 'origin' is allowed. */
void cors_decorate(const struct cors *c, const char *origin,
                   struct http_reply *rep);

#endif /* HEADER_S3JSON_CORS_H */

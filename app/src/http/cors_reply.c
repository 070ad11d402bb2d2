/* cors_reply.c -- the CORS headers on a reply (cors.h's reply half) */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cors.h"
#include "routes.h"

#define ALLOW_METHODS "GET, HEAD"
/* Authorization carries the token; the conditional headers let a browser
 * revalidate (none of them is CORS-safelisted, so each must be named). */
#define ALLOW_HEADERS "Authorization, If-None-Match, If-Modified-Since"
#define EXPOSE_HEADERS "ETag, X-Cache, X-Request-Id"

void cors_preflight_reply(struct http_reply *rep)
{
  rep->status = 204;
  http_reply_header(rep, "Access-Control-Allow-Methods", ALLOW_METHODS);
  http_reply_header(rep, "Access-Control-Allow-Headers", ALLOW_HEADERS);
  http_reply_header(rep, "Access-Control-Max-Age", CORS_MAX_AGE);
}

/* Appends "Origin" to an existing Vary header, or adds one. */
static void vary_origin(struct http_reply *rep)
{
  int i;

  for (i = 0; i < rep->nheaders; i++) {
    struct http_header *h = &rep->headers[i];
    if (!strcasecmp(h->name, "Vary")) {
      size_t len = strlen(h->value);
      snprintf(h->value + len, sizeof(h->value) - len, ", Origin");
      return;
    }
  }
  http_reply_header(rep, "Vary", "Origin");
}

void cors_decorate(const struct cors *c, const char *origin,
                   struct http_reply *rep)
{
  if (!c->n)
    return;
  vary_origin(rep);
  if (!cors_origin_allowed(c, origin))
    return;
  http_reply_header(rep, "Access-Control-Allow-Origin", origin);
  http_reply_header(rep, "Access-Control-Expose-Headers", EXPOSE_HEADERS);
}

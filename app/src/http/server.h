/* server.h -- the HTTP front door (libmicrohttpd)
 *
 * Owns the listening socket and every client connection: the HTTP threads
 * (loop.c), a connection limit, idle timeouts, a cap on request line and
 * headers (414/431), the access log line of every request, request ids,
 * and the drain on shutdown. What a request means is routes.c's business.
 */
#ifndef HEADER_S3JSON_SERVER_H
#define HEADER_S3JSON_SERVER_H

#include <stddef.h>

struct routes;
struct settings;

struct http_server;

/* Binds and starts serving. NULL with 'err' set when it cannot (port in
 * use, bad address). */
struct http_server *http_server_start(const struct settings *s,
                                      struct routes *routes, char *err,
                                      size_t errlen);

/* Stops accepting new connections: connections the kernel has queued are
 * taken, then the listening socket is closed (the load balancer's new
 * connections go elsewhere); requests in flight and keep-alive connections
 * go on, and every reply from then on says "Connection: close". Call it
 * from one thread (main's signal loop); a second call does nothing. */
void http_server_quiesce(struct http_server *srv);

/* Requests received and not yet answered. */
unsigned http_server_inflight(const struct http_server *srv);

/* Client connections open now (busy or idle keep-alive). */
unsigned http_server_connections(const struct http_server *srv);

/* Requests begun since http_server_quiesce(): the drain watches it to tell
 * a keep-alive client still sending from an idle one. */
unsigned long http_server_requests_since_quiesce(const struct http_server *srv);

/* Refuses new S3-bound requests (503 "shutting_down", Connection: close),
 * lets queued ones finish, joins the workers, then closes every connection
 * and frees. Safe with requests still arriving. Accepts NULL. */
void http_server_stop(struct http_server *srv);

#endif /* HEADER_S3JSON_SERVER_H */

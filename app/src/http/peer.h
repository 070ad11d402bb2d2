/* peer.h -- who sent a request: client address and request id (pure)
 *
 * The values come from headers a client can write, so each is taken only
 * from the part a trusted hop wrote, and validated; anything else is
 * refused and the caller falls back to what it knows itself (the TCP peer,
 * a fresh random id). No allocation, no I/O: unit-tested and safe on any
 * bytes.
 */
#ifndef HEADER_S3JSON_PEER_H
#define HEADER_S3JSON_PEER_H

#include <stddef.h>

/* Longest text either function writes, with its NUL (an IPv6 address). */
#define PEER_TEXT_MAX 46

/*
 * The client address from an X-Forwarded-For value 'xff' when 'trusted'
 * proxies append to it: each appends the address it received the request
 * from, so the client's own entries are on the left and cannot push ours
 * off the right. The address is the 'trusted'-th entry from the right (the
 * left-most one when the list is shorter). Writes it, canonical, to 'out'
 * ('cap' >= PEER_TEXT_MAX) and returns 0; returns -1 when 'trusted' is 0,
 * 'xff' is NULL or empty, or that entry is not an IPv4 or IPv6 address.
 */
int peer_client_from_xff(const char *xff, unsigned trusted, char *out,
                         size_t cap);

/*
 * The Root of an X-Amzn-Trace-Id value ("Root=1-5759e988-bd86...;Parent=")
 * when it is well-formed: "1-", 8 hex digits, "-", 24 hex digits. Writes it
 * to 'out' ('cap' >= 36) and returns 0; -1 otherwise.
 */
int peer_trace_root(const char *trace, char *out, size_t cap);

#endif /* HEADER_S3JSON_PEER_H */

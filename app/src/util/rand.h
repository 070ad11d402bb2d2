/* rand.h -- the one fast random source: per thread, seeded once
 *
 * xorshift128+ (Vigna) with 128 bits of state per thread, seeded from
 * getrandom() the first time a thread draws, so the system call stays off
 * the request path (it showed in profiles). Used for request ids and retry
 * jitter.
 *
 * Not for secrets: the output is unpredictable to a client that has seen
 * nothing (a fresh 128-bit seed from the kernel per thread), which is what
 * request ids need (unique, not guessable ahead of time), but a party who
 * sees enough consecutive outputs of one thread could compute the next.
 * Keys, tokens and nonces come from OpenSSL's RAND_bytes, never from here.
 */
#ifndef HEADER_S3JSON_RAND_H
#define HEADER_S3JSON_RAND_H

#include <stdint.h>

/* 64 random bits from this thread's generator. Thread-safe, lock-free. */
uint64_t rand_u64(void);

/* Uniform in [0, n); 0 when n is 0. Rejection sampling: no modulo bias. */
uint64_t rand_below(uint64_t n);

/* A request id: RAND_ID_LEN hex digits (128 bits) and a NUL in 'out';
 * unique, and not guessable by a client (see above for what it is not). */
#define RAND_ID_LEN 32
void rand_hex_id(char out[RAND_ID_LEN + 1]);

#endif

/* health.h -- liveness, readiness and draining
 *
 * /healthz answers from the process alone (the ALB target health check must
 * not depend on S3). /readyz is true when the credential chain resolves and
 * the store's probe (S3: ListObjectsV2, max-keys=1, under the prefix;
 * DynamoDB: DescribeTable; exactly what the task role may do) succeeded
 * recently, and false once draining began.
 * A background thread runs the probe every 'interval' seconds.
 */
#ifndef HEADER_S3JSON_HEALTH_H
#define HEADER_S3JSON_HEALTH_H

#include <stddef.h>

struct aws_cred_provider;
struct store;

struct health; /* opaque, thread-safe */

struct health *health_new(const struct store *st, struct aws_cred_provider *cr,
                          const char *prefix, unsigned interval_s);
/* Starts the probe thread, which probes at once and then every interval.
 * Returns 0, or -1 if the thread could not start. */
int health_start(struct health *h);
/* Stops the probe thread (wakes it at once) and frees. Accepts NULL. */
void health_free(struct health *h);

void health_set_draining(struct health *h);
int health_draining(const struct health *h);

/* 1 when ready; else 0 with a short reason ("draining", "credentials",
 * "s3_probe_failed" or "dynamodb_probe_failed", "no_probe_yet") in '*why'. */
int health_ready(struct health *h, const char **why);

#endif /* HEADER_S3JSON_HEALTH_H */

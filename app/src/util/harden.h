/* harden.h -- process-wide protections of the secrets s3json holds
 *
 * The credentials module keeps AWS keys in memory and wipes every copy it
 * frees; a core file or a debugger attached by another user of the host
 * would still see the live ones. harden_process() closes both doors once,
 * at start-up, before any secret is fetched.
 */
#ifndef HEADER_S3JSON_HARDEN_H
#define HEADER_S3JSON_HARDEN_H

#include <stddef.h>

/*
 * Makes the process non-dumpable (prctl PR_SET_DUMPABLE 0: no core file,
 * no ptrace by non-root users, /proc/self owned by root) and sets
 * RLIMIT_CORE to 0 (soft and hard, so no child can raise it). Returns 0,
 * or -1 with 'err' naming the call that failed.
 */
int harden_process(char *err, size_t errlen);

#endif /* HEADER_S3JSON_HARDEN_H */

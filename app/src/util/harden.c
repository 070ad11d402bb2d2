/* harden.c -- process-wide protections of the secrets s3json holds */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "harden.h"

int harden_process(char *err, size_t errlen)
{
  struct rlimit none = {0, 0};

  /* Both: a core_pattern pipe (systemd-coredump, apport) ignores
   * RLIMIT_CORE, but not the dumpable flag. */
  if (setrlimit(RLIMIT_CORE, &none) != 0) {
    snprintf(err, errlen, "setrlimit(RLIMIT_CORE, 0): %s", strerror(errno));
    return -1;
  }
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
    snprintf(err, errlen, "prctl(PR_SET_DUMPABLE, 0): %s", strerror(errno));
    return -1;
  }
  return 0;
}

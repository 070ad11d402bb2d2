#!/usr/bin/env bash
# run-unit.sh -- runs cmocka test binaries, fails if any fails.
# Usage: scripts/run-unit.sh BIN...
# Unit tests find their data (e.g. app/tests/data/aws-sigv4) relative to the
# repository root, so this runs from there.
set -uo pipefail
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
rc=0
for t in "$@"; do
  echo "== $t"
  "$t" || rc=1
done
exit $rc

#!/usr/bin/env bash
# run-unit.sh -- runs cmocka test binaries, fails if any fails. Each one
# reports TAP (CMOCKA_MESSAGE_OUTPUT=TAP: its plan and a line per test), the
# format tests/run counts.
# Usage: tests/unit/run-unit.sh BIN...
# Unit tests find their data (e.g. tests/data/aws-sigv4) relative to the
# repository root, so this runs from there.
# Env: S3JSON_UNIT_WRAPPER runs each binary through a command, e.g.
#      qemu-aarch64-static for the arm64 build (`make cross-unit`).
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
read -r -a wrapper <<<"${S3JSON_UNIT_WRAPPER:-}"
rc=0
for t in "$@"; do
  echo "# $t"
  "${wrapper[@]+"${wrapper[@]}"}" "$t" || rc=1
done
exit $rc

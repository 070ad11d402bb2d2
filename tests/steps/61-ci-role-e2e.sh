#!/usr/bin/env bash
# 61-ci-role-e2e: the CI deploy roles used for real against the IAM-enforcing
# emulator: admin applies global/ci, GitHub-like OIDC tokens assume the
# staging deploy role, which applies, re-plans and destroys the whole
# staging root and is refused production's resources, roles without its
# boundary, boundary removal and passing other roles (tests/e2e/ci-role-e2e.sh).
# test.sh: background  (it mostly waits on terraform; see tests/run)
# Reports TAP: a line per check.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
exec tests/e2e/ci-role-e2e.sh

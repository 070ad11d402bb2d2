#!/usr/bin/env bash
# 52-ci-policy: the CI deploy roles cannot escalate or cross environments.
# modules/ci-deploy-policy's documents are rendered by `terraform console`
# (pure module, no credentials) and evaluated request by request with the
# emulator's IAM evaluator against real ARNs, tags and boundaries (moto
# checks most services against `*`).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 2
if ! command -v terraform >/dev/null; then
  echo "1..0 # SKIP terraform not on PATH"
  exit 0
fi
. scripts/tf-env.sh
exec python3 -m lib.tap infra/modules/ci-deploy-policy/tests/test_deploy_policy.py

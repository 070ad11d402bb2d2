#!/usr/bin/env bash
# 51-ecr-lifecycle: the ECR lifecycle policy Terraform renders
# (infra/global/ecr), run through a model of ECR's documented rule
# evaluation on image histories: what an environment runs or can roll back
# to never expires (infra/global/ecr/tests/test_lifecycle_policy.py).
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 2
if ! command -v terraform >/dev/null; then
  echo "1..0 # SKIP terraform not on PATH"
  exit 0
fi
exec python3 -m lib.tap infra/global/ecr/tests/test_lifecycle_policy.py

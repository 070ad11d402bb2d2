#!/usr/bin/env bash
# 50-terraform: fmt, validate and `terraform test` (mock provider) for infra/.
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 2
if ! command -v terraform >/dev/null; then
  echo "1..0 # SKIP terraform not on PATH"
  exit 0
fi
exec scripts/tf-check.sh

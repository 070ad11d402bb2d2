#!/usr/bin/env bash
# 50-terraform: fmt, validate and `terraform test` (mock provider) for infra/.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v terraform >/dev/null; then
  echo "SKIP: terraform not on PATH"
  exit 0
fi
exec scripts/tf-check.sh

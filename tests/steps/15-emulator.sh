#!/usr/bin/env bash
# 15-emulator: the strict AWS emulator (tests/emulator) proves each of its
# fixes over stock moto (SigV4 raw encoding, IAM conditions, TLS,
# application-autoscaling tags) with boto3. Needs python3 with moto 5.2,
# boto3 and openssl; no network.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
if ! python3 -c 'import moto, boto3' 2>/dev/null; then
  echo "1..0 # SKIP python3 with moto and boto3 is not available"
  exit 0
fi
# The emulator's own Terraform smoke test is skipped here (it prints why):
# step 60-infra-e2e applies the real stack against the same emulator, and
# CI time is better spent once. `EMU_TF_SMOKE=1 tests/run 15-*` runs it.
export EMU_TF_SMOKE=${EMU_TF_SMOKE:-0}
exec timeout "${EMU_TEST_TIMEOUT:-900}" python3 -m lib.tap tests/emulator/test_emu.py

#!/usr/bin/env bash
# 15-emulator: the strict AWS emulator (scripts/emulator) proves each of its
# fixes over stock moto (SigV4 raw encoding, IAM conditions, TLS,
# application-autoscaling tags) with boto3. Needs python3 with moto 5.2,
# boto3 and openssl; no network.
set -uo pipefail
cd "$(dirname "$0")/../.."
if ! python3 -c 'import moto, boto3' 2>/dev/null; then
  echo "SKIP: python3 with moto and boto3 is not available"
  exit 0
fi
exec timeout "${EMU_TEST_TIMEOUT:-900}" python3 -m unittest -v scripts/emulator/test_emu.py

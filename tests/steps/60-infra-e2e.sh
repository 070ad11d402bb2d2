#!/usr/bin/env bash
# 60-infra-e2e: apply the shipped Terraform (backend, ECR, staging) to the AWS
# emulator, check it with awscli, plan again, destroy (tests/e2e/infra-e2e.sh).
# test.sh: background  (it mostly waits on the provider; see tests/run)
# Reports TAP: a line per check.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
exec tests/e2e/infra-e2e.sh

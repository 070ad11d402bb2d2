# shellcheck shell=bash
# Deploy: the whole `make deploy ENV=staging` flow against the emulator, with
# a local registry standing in for ECR, then plan, promotion and destroy
# (tests/e2e/deploy-e2e.sh). Skipped, with the reason, where no container
# engine, registry, Terraform or emulator can run.
scripts/image/deps.sh || true
bash tests/e2e/deploy-e2e.sh

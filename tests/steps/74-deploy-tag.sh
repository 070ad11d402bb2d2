# shellcheck shell=bash
# Deploy tags: scripts/deploy/tag-image.sh gives the image an environment is
# about to run an `<env>-<UTC time>` tag (kept by infra/global/ecr's rule for
# that environment), checked against a local registry and the emulator's ECR
# (tests/e2e/tag-image-test.sh). Skipped, with the reason, where the
# registry or the emulator cannot run.
bash tests/e2e/tag-image-test.sh

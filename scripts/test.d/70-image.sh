# Image: build it (docker, else podman with a locally made Debian base), then
# run it read-only, non-root, against the emulator (scripts/image/test_image.py).
# Skipped, with the reason, only where neither engine can run.
scripts/image/deps.sh || true
. scripts/image/lib.sh
if [ -z "$ENGINE" ]; then
  echo "SKIP: $ENGINE_WHY"
  exit 0
fi
set -e
scripts/image/build.sh -t s3json:test
. build/image/last.env
S3JSON_TEST_IMAGE=s3json:test S3JSON_TEST_ENGINE=$ENGINE S3JSON_TEST_REVISION=$IMAGE_REVISION \
  timeout 600 python3 -m unittest -v scripts/image/test_image.py

# shellcheck shell=bash
# Image: publish it as deploy does (scripts/image/publish.sh: linux/amd64 and
# linux/arm64, each built for its platform explicitly, pushed as one
# manifest list) to a local registry on 127.0.0.1 (Debian's docker-registry,
# stopped by PID), then run each platform's image read-only, non-root,
# against the emulator (tests/image/test_image.py; the arm64 one through
# qemu-user, as this kernel has no binfmt handler for it) and read the
# registry's manifest list back (tests/image/test_publish.py).
# Skipped, with the reason, only where neither engine can run.
scripts/image/deps.sh || true
scripts/deps.sh --cross arm64 >/dev/null || true
. tests/lib/lib.sh # free_port
reg_port=$(free_port)
export S3JSON_INSECURE_REGISTRIES=127.0.0.1:$reg_port
. scripts/image/lib.sh
if [ -z "$ENGINE" ]; then
  echo "1..0 # SKIP $ENGINE_WHY"
  exit 0
fi
set -e
work=build/image/registry-test
rm -rf "$work"
mkdir -p "$work"
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $PWD/$work/data
http:
  addr: 127.0.0.1:$reg_port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
trap 'kill "$reg_pid" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done

ref=127.0.0.1:$reg_port/s3json:test
digest=$(scripts/image/publish.sh "$ref")
. build/image/last.env
export S3JSON_TEST_ENGINE=$ENGINE S3JSON_TEST_REVISION=$IMAGE_REVISION

echo "== linux/amd64"
S3JSON_TEST_IMAGE=$ref-amd64 S3JSON_TEST_ARCH=amd64 \
  timeout 600 python3 -m lib.tap tests/image/test_image.py

echo "== linux/arm64"
qemu=$(command -v qemu-aarch64-static || true)
[ -n "$qemu" ] || { echo "qemu-aarch64-static is missing (scripts/deps.sh --cross arm64)" >&2; exit 1; }
S3JSON_TEST_IMAGE=$ref-arm64 S3JSON_TEST_ARCH=arm64 S3JSON_TEST_QEMU=$qemu \
  timeout 600 python3 -m lib.tap tests/image/test_image.py

echo "== manifest list $ref@$digest"
S3JSON_TEST_REGISTRY=127.0.0.1:$reg_port S3JSON_TEST_REPOSITORY=s3json S3JSON_TEST_TAG=test \
  S3JSON_TEST_DIGEST=$digest timeout 120 python3 -m lib.tap tests/image/test_publish.py

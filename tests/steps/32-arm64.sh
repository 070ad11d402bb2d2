# shellcheck shell=bash
# ARM64 (Graviton) build: cross-compiled with Debian's aarch64 toolchain and
# the arm64 -dev packages (multiarch, `make cross ARCH=arm64`), then run
# under qemu-user (no binfmt needed): the binary with only the libraries
# collected for the image (a chroot), every unit test, and the API suite's
# served requests against the signature-checking emulator, and access
# control (the key set's poll thread, RS256 verification, scopes) through
# test_auth_smoke. (Start-up tests run the binary without the wrapper, so
# only the tests that go through the harness's Service run here.)
if ! scripts/deps.sh --cross arm64; then
  echo "1..0 # SKIP the arm64 cross toolchain is missing (scripts/deps.sh --cross arm64 as root)"
  exit 0
fi
set -e
make -s cross ARCH=arm64
# The binary under test is an AArch64 executable, not the host's build.
machine=$(aarch64-linux-gnu-readelf -h build/arm64/s3json | sed -n 's/^ *Machine: *//p')
echo "build/arm64/s3json: $machine"
[ "$machine" = AArch64 ] || { echo "build/arm64/s3json is not AArch64" >&2; exit 1; }
# Its libraries, collected from the ELF headers (ldd cannot read arm64) as
# the image's build stage does: the binary runs in a chroot holding only
# those (and the static emulator), so nothing falls back to host files.
root=build/arm64/rootfs
rm -rf "$root"
scripts/image/collect-libs.sh build/arm64/s3json "$root" >/dev/null
cp build/arm64/s3json "$(command -v qemu-aarch64-static)" "$root/"
chroot "$root" /qemu-aarch64-static /s3json --version
echo "arm64 libraries: $(find "$root/lib" "$root/usr" -type f 2>/dev/null | wc -l | tr -d ' ') files, complete"
make -s cross-unit ARCH=arm64
cd tests/integration
S3JSON_TEST_BINARY=$OLDPWD/build/arm64/s3json S3JSON_TEST_WRAPPER=qemu-aarch64-static \
  timeout 600 python3 -m lib.tap test_api.ApiTest test_api.ForbiddenTest test_api.ShutdownTest \
  test_auth_smoke.AuthSmokeTest.test_missing_token_401_valid_token_200 \
  test_auth_smoke.AuthSmokeTest.test_invalid_token_and_scope \
  test_auth_smoke.AuthSmokeTest.test_internal_routes_need_a_token_when_asked \
  test_auth_smoke.AuthSmokeTest.test_unreachable_key_set

# shellcheck shell=bash
# Build everything: the service, its sanitizer build, unit tests, test tools.
set -u
. tests/lib/lib.sh
check "dependencies installed (scripts/deps.sh)" scripts/deps.sh
check "make all asan unit-build tools" make -j2 all asan unit-build tools
check "build/s3json --version" build/s3json --version
done_testing

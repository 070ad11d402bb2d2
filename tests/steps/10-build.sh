# shellcheck shell=bash
# Build everything: the service, its sanitizer build, unit tests, test tools.
set -e
scripts/deps.sh
make -j2 all asan unit-build tools
build/s3json --version

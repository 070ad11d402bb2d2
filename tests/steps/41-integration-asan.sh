# shellcheck shell=bash
# The same integration suite against the AddressSanitizer + UBSan build:
# any leak, overflow or undefined behaviour makes s3json exit non-zero, and
# the harness fails the test that stopped it.
make -s build/asan/s3json tools
S3JSON_TEST_BINARY=build/asan/s3json \
  python3 -m lib.tap discover -s tests/integration -p 'test_*.py'

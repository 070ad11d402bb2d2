# shellcheck shell=bash
# The same integration suite against the AddressSanitizer + UBSan build:
# any leak, overflow or undefined behaviour makes s3json exit non-zero, and
# the harness fails the test that stopped it. The API and cache suites run
# against both stores (S3JSON_TEST_STORE=dynamodb: issue 14).
make -s build/asan/s3json tools
rc=0 # test.sh runs steps without -e: every pass counts in the exit status
S3JSON_TEST_BINARY=build/asan/s3json python3 -m unittest discover -s app/tests/integration -p 'test_*.py' -v || rc=1
for suite in test_api.py test_cache.py; do
  S3JSON_TEST_BINARY=build/asan/s3json S3JSON_TEST_STORE=dynamodb \
    python3 -m unittest discover -s app/tests/integration -p "$suite" -v || rc=1
done
exit $rc

# shellcheck shell=bash
# The same integration suite against the AddressSanitizer + UBSan build:
# any leak, overflow or undefined behaviour makes s3json exit non-zero, and
# the harness fails the test that stopped it. The API and cache suites run
# against both stores (S3JSON_TEST_STORE=dynamodb: issue 14).
make -s build/asan/s3json tools
rc=0 # every pass counts in the exit status
S3JSON_TEST_BINARY=build/asan/s3json \
  python3 -m lib.tap discover -s tests/integration -p 'test_*.py' || rc=1
# The API and cache suites again against the DynamoDB store (issue 14).
for suite in test_api.py test_cache.py; do
  S3JSON_TEST_BINARY=build/asan/s3json S3JSON_TEST_STORE=dynamodb \
    python3 -m lib.tap discover -s tests/integration -p "$suite" || rc=1
done
exit $rc

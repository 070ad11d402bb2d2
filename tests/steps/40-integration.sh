# shellcheck shell=bash
# Integration tests: the real binary (and its ASan/UBSan build) against the
# signature-checking S3 emulator on 127.0.0.1. Then the API and cache suites
# again against the emulator's DynamoDB (S3JSON_TEST_STORE=dynamodb, issue
# 14): the same documents as items, S3-only tests skipped with their reason.
make -s build/s3json build/asan/s3json tools
rc=0 # every pass counts in the exit status
python3 -m lib.tap discover -s tests/integration -p 'test_*.py' || rc=1
# The API and cache suites again against the DynamoDB store (issue 14).
for suite in test_api.py test_cache.py; do
  S3JSON_TEST_STORE=dynamodb \
    python3 -m lib.tap discover -s tests/integration -p "$suite" || rc=1
done
exit $rc

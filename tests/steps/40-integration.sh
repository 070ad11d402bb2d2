# shellcheck shell=bash
# Integration tests: the real binary (and its ASan/UBSan build) against the
# signature-checking S3 emulator on 127.0.0.1.
make -s build/s3json build/asan/s3json tools
python3 -m lib.tap discover -s tests/integration -p 'test_*.py'

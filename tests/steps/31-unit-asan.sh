# shellcheck shell=bash
# Unit tests (cmocka) under AddressSanitizer + UndefinedBehaviorSanitizer.
make -s unit-asan

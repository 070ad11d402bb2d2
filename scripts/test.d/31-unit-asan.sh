# Unit tests (cmocka) under AddressSanitizer + UndefinedBehaviorSanitizer.
make -s unit-asan

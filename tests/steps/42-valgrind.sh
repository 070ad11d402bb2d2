# shellcheck shell=bash
# The API and cache integration suites with s3json under valgrind memcheck:
# any invalid read/write, use of uninitialised memory or definite/indirect
# leak makes s3json exit 97 and fails the test that stopped it. (The fault
# and shutdown suites assert sub-second timings that valgrind's ~20x
# slowdown cannot meet; they run under ASan/UBSan in 41-integration-asan.)
set -e
make -s build/s3json
export S3JSON_TEST_WRAPPER="valgrind --quiet --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect"
cd tests/integration
python3 -m lib.tap test_api test_cache

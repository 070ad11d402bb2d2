# shellcheck shell=bash
# Fuzzing, briefly: builds every libFuzzer target (ASan+UBSan), replays each
# seed and regression input, then fuzzes each target for
# FUZZ_TEST_SECONDS (default 25), two at a time: about 3 minutes for the
# fourteen targets on 2 cores. `make fuzz` is the long run (FUZZ_SECONDS).
# One TAP line per target.
FUZZ_SECONDS=${FUZZ_TEST_SECONDS:-25} FUZZ_JOBS=${FUZZ_JOBS:-2} \
  exec tests/fuzz/fuzz.sh run

# shellcheck shell=bash
# The test machinery itself: tests/run's exact count (a silent step, a plan
# mismatch and a non-zero exit fail), the TAP runner for unittest (a failed
# setUpClass still reports each of its tests) and the support library.
python3 -m lib.tap discover -s tests/lib -p 'test_*.py'

# shellcheck shell=bash
# lib.sh -- the checks every shell test step shares (sourced):
#   ok NAME / ko NAME        count a passed / failed check and print it
#   eq NAME EXPECTED ACTUAL  ok when equal, else ko with both values
# The step prints "RESULT: $pass passed, $fail failed" at its end, the line
# tests/run counts.
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok    $*"; }
ko() { fail=$((fail + 1)); echo "FAIL  $*"; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1: expected [$2], got [$3]"; fi; }

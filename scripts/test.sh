#!/usr/bin/env bash
# test.sh -- `make test`: every suite, one command.
#
# Runs each step in scripts/test.d/ in name order. A step is a shell script;
# its output goes to build/test-logs/<step>.log and is echoed. Test counts are
# read from the step's output (cmocka "[  PASSED  ] N test(s)", Python
# unittest "Ran N tests", terraform test "N passed, M failed", or a plain
# "RESULT: N passed, M failed, K skipped" line); a step that prints none
# counts as one test. A step may print "SKIP: reason" and exit 0 to be counted
# as skipped, with its reason. The last line is the total:
#   N passed, N failed, N skipped
#
# A step whose file has the line "# test.sh: background" is started in the
# background and the next steps go on meanwhile; it is waited for at the
# end. Only steps that mostly wait (Terraform against the emulator: the
# provider's fixed waits for load balancers and buckets) and that assert no
# tight timings are marked so; each gets its own Terraform plugin cache
# (TF_WORK_DIR), the one thing they would otherwise share.
#
# Usage: scripts/test.sh [STEP-GLOB]   e.g. scripts/test.sh '*unit*'
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
logs=$root/build/test-logs
mkdir -p "$logs"
glob=${1:-*}

total_pass=0 total_fail=0 total_skip=0
summary=()

count_from() { # log -> sets p f s
  local log=$1 a b c
  p=0 f=0 s=0
  # cmocka
  for a in $(sed -nE 's/^\[  PASSED  \] ([0-9]+) test.*/\1/p' "$log"); do p=$((p + a)); done
  for a in $(sed -nE 's/^\[  FAILED  \] ([0-9]+) test.*/\1/p' "$log"); do f=$((f + a)); done
  # Python unittest: "Ran N tests", then "OK (skipped=K)" or
  # "FAILED (failures=F, errors=E, skipped=K)"
  for a in $(sed -nE 's/^Ran ([0-9]+) tests? in .*/\1/p' "$log"); do p=$((p + a)); done
  for a in $(sed -nE 's/^FAILED \(.*failures=([0-9]+).*/\1/p' "$log"); do f=$((f + a)); p=$((p - a)); done
  for a in $(sed -nE 's/^FAILED \(.*errors=([0-9]+).*/\1/p' "$log"); do f=$((f + a)); p=$((p - a)); done
  for a in $(sed -nE 's/^(OK|FAILED) \(.*skipped=([0-9]+).*/\2/p' "$log"); do s=$((s + a)); p=$((p - a)); done
  # terraform test
  while read -r a b; do p=$((p + a)); f=$((f + b)); done < <(sed -nE 's/^(Success|Failure)! ([0-9]+) passed, ([0-9]+) failed.*/\2 \3/p' "$log")
  # plain lines from our own scripts
  while read -r a b c; do p=$((p + a)); f=$((f + b)); s=$((s + ${c:-0})); done < <(sed -nE 's/^RESULT: ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 \2 \4/p' "$log")
}

record() { # name rc secs log
  local name=$1 rc=$2 secs=$3 log=$4
  count_from "$log"
  if [ "$rc" -eq 0 ] && grep -aqE '^SKIP: ' "$log" && [ $p -eq 0 ]; then
    s=$((s > 0 ? s : 1))
    summary+=("skip  $name (${secs}s): $(grep -aE '^SKIP: ' "$log" | head -1 | cut -c7-)")
  elif [ "$rc" -eq 0 ]; then
    [ $((p + f + s)) -eq 0 ] && p=1
    summary+=("ok    $name (${secs}s): $p passed, $s skipped")
  else
    [ $f -eq 0 ] && f=1
    summary+=("FAIL  $name (${secs}s, exit $rc): $p passed, $f failed; log: $log")
  fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f)); total_skip=$((total_skip + s))
}

bg_names=() bg_pids=() bg_start=()
for step in scripts/test.d/$glob.sh; do
  [ -f "$step" ] || continue
  name=$(basename "$step" .sh)
  log=$logs/$name.log
  if grep -q '^# test.sh: background' "$step"; then
    echo "=== $name (in the background; its log is shown at the end)"
    TF_WORK_DIR=$root/build/terraform-$name bash "$step" > "$log" 2>&1 &
    bg_names+=("$name"); bg_pids+=($!); bg_start+=("$(date +%s)")
    continue
  fi
  echo "=== $name"
  start=$(date +%s)
  bash "$step" 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  record "$name" "$rc" $(( $(date +%s) - start )) "$log"
done

for i in "${!bg_pids[@]}"; do
  name=${bg_names[$i]}
  wait "${bg_pids[$i]}"
  rc=$?
  secs=$(( $(date +%s) - ${bg_start[$i]} ))
  echo "=== $name (background, finished after ${secs}s)"
  cat "$logs/$name.log"
  record "$name" "$rc" "$secs" "$logs/$name.log"
done

echo
echo "=== summary"
printf '%s\n' "${summary[@]}"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ $total_fail -eq 0 ]

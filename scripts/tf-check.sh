#!/usr/bin/env bash
# tf-check.sh -- static checks and offline tests of infra/ (`make tf-check`).
#
#   1. terraform fmt -check -recursive infra; README tables (tf-docs.py)
#   2. terraform init -backend=false + validate in every root and module
#   3. terraform test in every directory with a tests/ folder (mock provider:
#      no credentials, no network)
#
# Prints terraform test's "Success! N passed, M failed" summaries and one
# "RESULT: N passed, M failed" line for the fmt/validate checks, as
# tests/run expects. Exit status 0 only when everything passed.
# Usage: scripts/tf-check.sh [-h]
set -uo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'
  exit 0
fi

cd "$(dirname "$0")/.." || exit 1
. scripts/tf-env.sh
command -v terraform >/dev/null || { echo "tf-check: terraform not on PATH" >&2; exit 1; }

# Every directory holding .tf files directly (roots and modules).
# (bash 3.2 has no mapfile, BSD find no -printf: a macOS laptop runs this too)
dirs=()
while IFS= read -r d; do dirs+=("$d"); done < <(find infra -name '*.tf' -not -path '*/.terraform/*' \
  -not -path '*/tests/*' | sed 's|/[^/]*$||' | sort -u)

pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok    $*"; }
ko() { fail=$((fail + 1)); echo "FAIL  $*"; }

if out=$(terraform fmt -check -recursive -diff infra 2>&1); then
  ok "fmt infra"
else
  ko "fmt infra"; printf '%s\n' "$out"
fi

# READMEs' Inputs/Outputs tables match the variables and outputs.
if out=$(python3 scripts/tf-docs.py --check 2>&1); then
  ok "README tables up to date"
else
  ko "README tables up to date"; printf '%s\n' "$out"
fi

# Environment roots stay thin: provider, state, one call of
# modules/environment with their values, outputs. Everything else belongs in
# a module, where both environments share it.
thin=1
for e in infra/environments/*/; do
  if grep -nE '^(resource|data) ' "$e"*.tf; then thin=0; echo "declares resources itself: $e"; fi
  grep -q 'source = "../../modules/environment"' "$e"main.tf || { thin=0; echo "does not call modules/environment: $e"; }
done
if [ "$thin" -eq 1 ]; then ok "environment roots are thin"; else ko "environment roots are thin"; fi

# One directory: init, validate, test. Output to DIR.log, status to DIR.rc
# (0 ok, 1 init/validate failed, 2 tests failed) so runs can go in parallel.
check_dir() {
  local d=$1 name=${1//\//_}
  local out=$TF_WORK_DIR/check/$name.log
  # Keep .terraform/ out of the tree and apart from infra-e2e's.
  export TF_DATA_DIR=$TF_WORK_DIR/check/$name
  {
    if ! tf_init "$d" -backend=false 2>&1; then
      echo "FAIL  init $d"; echo 1 >"$out.rc"; return
    fi
    if v=$(terraform -chdir="$d" validate -no-color 2>&1); then
      echo "ok    validate $d"; rc=0
    else
      echo "FAIL  validate $d"; printf '%s\n' "$v"; rc=1
    fi
    if [ -d "$d/tests" ]; then
      echo "--- terraform test $d"
      terraform -chdir="$d" test -no-color 2>&1 | grep -v '^$'
      [ "${PIPESTATUS[0]}" -eq 0 ] || rc=$((rc == 0 ? 2 : rc))
    fi
    echo "$rc" >"$out.rc"
  } >"$out" 2>&1
}
export -f check_dir tf_init
export TF_WORK_DIR
mkdir -p "$TF_WORK_DIR/check"
rm -f "$TF_WORK_DIR"/check/*.rc
printf '%s\n' ${dirs[@]+"${dirs[@]}"} | xargs -P "${TF_CHECK_JOBS:-2}" -I{} bash -c 'check_dir "$1"' _ {}

for d in ${dirs[@]+"${dirs[@]}"}; do
  name=${d//\//_}
  cat "$TF_WORK_DIR/check/$name.log"
  case $(cat "$TF_WORK_DIR/check/$name.log.rc" 2>/dev/null || echo 1) in
    0) pass=$((pass + 1)) ;;
    2) pass=$((pass + 1)); test_failed=1 ;;
    *) fail=$((fail + 1)) ;;
  esac
done

echo "RESULT: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ -z "${test_failed:-}" ]

#!/usr/bin/env bash
# tf-check.sh -- static checks and offline tests of infra/ (`make tf-check`).
#
#   1. terraform fmt -check -recursive infra; README tables (tf-docs.py)
#   2. terraform init -backend=false + validate in every root and module
#   3. terraform test in every directory with a tests/ folder (mock provider:
#      no credentials, no network)
#
# Reports TAP (tests/lib/lib.sh's ok/ko), as tests/run counts it: one line
# per check, per validated directory and per `run` block of terraform test
# (named DIR/FILE: RUN), each directory's run blocks checked against
# terraform's own "N passed, M failed" summary. Exit status 0 only when
# everything passed.
# Usage: scripts/tf-check.sh [-h]
set -uo pipefail

if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
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

. tests/lib/lib.sh # ok, ko, skip and the TAP plan

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
# Terraform's plugin cache is not safe for concurrent writers: two inits
# filling an empty cache at once fail with "file exists" (seen in CI). The
# first directory runs alone, so the cache holds the provider before the
# parallel runs only link it.
if [ ${#dirs[@]} -gt 0 ]; then
  check_dir "${dirs[0]}"
  printf '%s\n' "${dirs[@]:1}" | sed '/^$/d' |
    xargs -P "${TF_CHECK_JOBS:-2}" -I{} bash -c 'check_dir "$1"' _ {}
fi

# One directory's log as TAP: its ok/FAIL lines, a line per run block, the
# rest as comments; the run blocks seen must be as many as terraform counts.
tap_log() { # DIR LOG
  local d=$1 file="" runs=0 line name res sum
  while IFS= read -r line; do
    case $line in
      "ok    "*) ok "${line#ok    }" ;;
      "FAIL  "*) ko "${line#FAIL  }" ;;
      *.tftest.hcl"... in progress") file=${line%... in progress} ;;
      '  run "'*'"... '*)
        name=${line#  run \"}
        name=${name%%\"...*}
        res=${line##*... }
        runs=$((runs + 1))
        case $res in
          pass) ok "terraform test $d/$file: $name" ;;
          skip) skip "terraform test $d/$file: $name" "skipped by terraform test" ;;
          *) ko "terraform test $d/$file: $name ($res)" ;;
        esac
        ;;
      "Success! "*" passed, "*|"Failure! "*" passed, "*)
        echo "# $line"
        sum=$(echo "$line" | sed -E 's/^[A-Za-z]+! ([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?.*/\1 + \2 + \4 + 0/')
        [ $((sum)) -eq "$runs" ] || ko "terraform test $d: terraform counts $((sum)) run blocks, $runs reported"
        ;;
      *) echo "# $line" ;;
    esac
  done <"$2"
}

for d in ${dirs[@]+"${dirs[@]}"}; do
  name=${d//\//_}
  before=$fail
  tap_log "$d" "$TF_WORK_DIR/check/$name.log"
  rc=$(cat "$TF_WORK_DIR/check/$name.log.rc" 2>/dev/null || echo 1)
  if [ "$rc" != 0 ] && [ "$fail" -eq "$before" ]; then
    ko "$d: init, validate or terraform test failed (exit code $rc, no failed line above)"
  fi
done

done_testing

# Shell a user runs on a laptop (scripts/deploy/, scripts/image/,
# scripts/tf-*.sh) must work on macOS: bash 3.2, BSD tools, no GNU timeout.
# Only bash 5 and GNU tools exist here, so three nets (docs/deploy.md,
# "From a Mac"):
#   1. shellcheck (warnings and errors);
#   2. scripts/lint-bash32.py: bash-4-only constructs (associative arrays,
#      mapfile, ${x,,}, empty arrays under set -u, ...) and GNU-only commands
#      and flags; its --self-test proves each rule fires;
#   3. the scripts' offline steps (usage, preflight refusals) run with a PATH
#      of macOS's commands only, GNU flags refused by shims
#      (scripts/deploy/bsd-path.sh); the deploy e2e (75-deploy) runs the
#      preflight, a plan and a whole deploy that way against the emulator.
set -uo pipefail
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "ok    $*"; }
ko() { fail=$((fail + 1)); echo "FAIL  $*"; }

# Every script a laptop runs. e2e.sh is not one: it drives the emulator and
# a registry on Linux CI only (it uses GNU timeout on purpose).
libs="scripts/deploy/lib.sh scripts/image/lib.sh"
files="scripts/deploy/deploy.sh scripts/deploy/plan.sh scripts/deploy/destroy.sh
  scripts/deploy/verify-emulator.sh scripts/deploy/bsd-path.sh
  $(ls scripts/image/*.sh | grep -v '/lib\.sh$' | tr '\n' ' ') $(ls scripts/tf-*.sh | tr '\n' ' ')"

if ! command -v shellcheck >/dev/null; then
  ko "shellcheck is not installed (scripts/deps.sh installs it)"
else
  # -x follows sourced files; SC2034 (unused variable) is off only for the
  # libraries, whose variables are for the scripts that source them.
  # shellcheck disable=SC2086 # word lists on purpose
  if out=$(shellcheck -x -s bash -S warning $files 2>&1) &&
    out2=$(shellcheck -x -s bash -S warning -e SC2034 $libs 2>&1); then
    ok "shellcheck: $(echo $files $libs | wc -w | tr -d ' ') scripts clean"
  else
    ko "shellcheck"; printf '%s\n' "$out" "${out2:-}"
  fi
fi

if out=$(python3 scripts/lint-bash32.py --self-test 2>&1); then
  ok "lint-bash32 self-test: $(echo "$out" | tail -n 1)"
else
  ko "lint-bash32 self-test"; printf '%s\n' "$out"
fi
# shellcheck disable=SC2086
if out=$(python3 scripts/lint-bash32.py $files $libs 2>&1); then
  ok "no bash-4-only construct or GNU-only command in the laptop scripts"
else
  ko "bash 3.2 / BSD lint"; printf '%s\n' "$out"
fi

# The shims: a GNU habit is refused (and logged), the portable form runs.
bsd=build/bsd-path
bin=$(scripts/deploy/bsd-path.sh "$bsd") || { ko "bsd-path.sh"; bin=/nonexistent; }
f=$bsd/sample.txt
printf 'b\na\n' >"$f"
for gnu in "sed -i s/a/x/ $f" "sed -r s/a+/x/ $f" "date -d yesterday" "date +%s%N" "stat -c %s $f" \
  "readlink -f $f" "grep -P a $f" "find $bsd -printf %h" "xargs -r echo" "head -n -1 $f" "timeout 1 true" \
  "sort -V $f" "mktemp -t x" "sha256sum $f" "nproc"; do
  # shellcheck disable=SC2086
  if PATH=$bin $gnu >/dev/null 2>&1; then ko "bsd-path let a GNU habit through: $gnu"; else ok "bsd-path refuses: $gnu"; fi
done
for bsdform in "sed -i.bak s/a/x/ $f" "sed -E -n s/(x)/\\1/p $f" "date -u +%Y%m%d%H%M%S" "grep -qE x $f" \
  "find $bsd -name sample.txt" "head -n 1 $f" "mktemp -d $bsd/t.XXXXXX" "sort -u $f" "shasum -a 256 $f"; do
  # shellcheck disable=SC2086
  if PATH=$bin $bsdform >/dev/null 2>&1; then ok "bsd-path runs: $bsdform"; else ko "bsd-path refused a portable form: $bsdform"; fi
done
: >"$bsd/rejected.log"

# Offline steps of the laptop scripts on that PATH: usage and the preflight's
# refusals before any AWS call (the e2e does the rest with the emulator).
refuses() { # LABEL PATTERN COMMAND...
  local label=$1 pattern=$2 out
  shift 2
  out=$(PATH=$bin "$@" 2>&1 </dev/null) && { ko "$label: succeeded"; return; }
  case $out in
    *"$pattern"*) ok "macOS PATH: $label" ;;
    *) ko "macOS PATH: $label: no '$pattern' in: $out" ;;
  esac
}
refuses "deploy.sh --help" "Usage: scripts/deploy/deploy.sh" scripts/deploy/deploy.sh --help
refuses "deploy without environment" "no environment" scripts/deploy/deploy.sh ""
refuses "deploy of the tag latest" "refusing to deploy the tag 'latest'" scripts/deploy/deploy.sh staging --image-tag latest
refuses "bad digest" "--image-digest must be" scripts/deploy/deploy.sh staging --image-digest sha256:xyz
refuses "plan without region" "no region" env -u AWS_REGION -u AWS_DEFAULT_REGION scripts/deploy/plan.sh staging
refuses "plan of an unknown environment" "unknown environment 'qa'" env AWS_REGION=eu-west-1 scripts/deploy/plan.sh qa
refuses "destroy with unusable credentials" "no usable AWS credentials" env AWS_REGION=eu-west-1 \
  AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_ENDPOINT_URL=http://127.0.0.1:9 AWS_MAX_ATTEMPTS=1 \
  scripts/deploy/destroy.sh staging
refuses "tf-root.sh without a root" "Usage: scripts/tf-root.sh" scripts/tf-root.sh
refuses "tf-root.sh on a module" "is a module, not a root" scripts/tf-root.sh modules/service plan
if [ -s "$bsd/rejected.log" ]; then
  ko "GNU-only calls on the macOS PATH:"; cat "$bsd/rejected.log"
else
  ok "no GNU-only call on the macOS PATH"
fi

echo "RESULT: $pass passed, $fail failed"
[ "$fail" -eq 0 ]

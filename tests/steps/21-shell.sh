# shellcheck shell=bash
# Shell a user runs on a laptop (scripts/deploy/, scripts/image/,
# scripts/tf-*.sh) must work on macOS: bash 3.2, BSD tools, no GNU timeout.
# Only bash 5 and GNU tools exist here, so three nets (docs/deploy.md,
# "From a Mac"):
#   1. shellcheck (warnings and errors);
#   2. tests/tools/lint-bash32.py: bash-4-only constructs (associative arrays,
#      mapfile, ${x,,}, empty arrays under set -u, ...) and GNU-only commands
#      and flags; its --self-test proves each rule fires;
#   3. the scripts' offline steps (usage, preflight refusals) run with a PATH
#      of macOS's commands only, GNU flags refused by shims
#      (tests/e2e/bsd-path.sh); the deploy e2e (75-deploy) runs the
#      preflight, a plan and a whole deploy that way against the emulator.
set -uo pipefail
. tests/lib/lib.sh # ok, ko, eq and the TAP plan

# Every script a laptop runs. tests/e2e/ is not: it drives the emulator and
# a registry on Linux CI only (it uses GNU timeout on purpose).
libs="scripts/deploy/lib.sh scripts/image/lib.sh tests/lib/lib.sh"
files="scripts/deploy/deploy.sh scripts/deploy/plan.sh scripts/deploy/destroy.sh
  scripts/deploy/verify-emulator.sh tests/e2e/bsd-path.sh"
for f in scripts/image/*.sh scripts/tf-*.sh; do
  case $f in */lib.sh) ;; *) files="$files $f" ;; esac
done

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

if out=$(python3 tests/tools/lint-bash32.py --self-test 2>&1); then
  ok "lint-bash32 self-test: $(echo "$out" | tail -n 1)"
else
  ko "lint-bash32 self-test"; printf '%s\n' "$out"
fi
# shellcheck disable=SC2086
if out=$(python3 tests/tools/lint-bash32.py $files $libs 2>&1); then
  ok "no bash-4-only construct or GNU-only command in the laptop scripts"
else
  ko "bash 3.2 / BSD lint"; printf '%s\n' "$out"
fi

# The shims: a GNU habit is refused (and logged), the portable form runs.
bsd=build/bsd-path
bin=$(tests/e2e/bsd-path.sh "$bsd") || { ko "bsd-path.sh"; bin=/nonexistent; }
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

# The deploy's wait (scripts/deploy/lib.sh): the circuit breaker's worst
# case from deployment_timing, table-driven, on the macOS PATH.
timing='"health_check_grace_seconds":30,"health_check_interval":10,"health_check_timeout":5,"healthy_threshold":2,"unhealthy_threshold":3,"deregistration_delay_seconds":15,"stop_timeout_seconds":15,"circuit_breaker_rollback":true'
for case in "1 3 585" "3 3 585" "6 3 585" "7 4 765" "12 6 1125" "100 50 9045" "500 200 36045"; do
  set -- $case
  got=$(PATH=$bin bash -c '. scripts/deploy/lib.sh && deploy_wait_plan "$1"' _ "{\"max_tasks\":$1,$timing}" 2>&1)
  case $got in
    "$3	$2 failed launches x (120 s start + 30 s grace + 10 s x 3 unhealthy checks) + 15 s deregistration + 15 s stop timeout + 15 s poll")
      ok "wait for $1 task(s): $3 s ($2 failed launches)" ;;
    *) ko "wait for $1 task(s): expected $3 s and $2 failed launches, got: $got" ;;
  esac
done
# The poll loop's two ways out besides "stable". The emulator can produce
# neither a FAILED rollout nor a service that never settles on demand, so
# `aws` here answers describe-services from a file (the stable path runs
# against the emulator in 75-deploy).
fake=$bsd/fake-aws
mkdir -p "$fake"
printf '#!/bin/sh\ncat "%s/answer.json"\n' "$fake" >"$fake/aws"
chmod +x "$fake/aws"
wait_case() { # LABEL ANSWER SECONDS PATTERN
  local out
  printf '%s\n' "$2" >"$fake/answer.json"
  out=$(PATH=$fake:$bin bash -c '. scripts/deploy/lib.sh && DEPLOY_POLL_SECONDS=1 && deploy_wait_stable c s "$1" && echo STABLE' _ "$3" 2>&1)
  case $out in *"$4"*) ok "wait: $1" ;; *) ko "wait: $1: no '$4' in: $out" ;; esac
}
wait_case "stable at once" '{"deployments":[{"rolloutState":"COMPLETED"}],"runningCount":2,"desiredCount":2}' 5 STABLE
wait_case "a FAILED rollout stops the wait with ECS's reason" \
  '{"deployments":[{"rolloutState":"FAILED","rolloutStateReason":"tasks failed to start"},{"rolloutState":"IN_PROGRESS"}],"runningCount":1,"desiredCount":2}' \
  60 "the deployment of s failed: tasks failed to start"
t0=$(date +%s)
wait_case "gives up after its deadline" '{"deployments":[{"rolloutState":"IN_PROGRESS"}],"runningCount":0,"desiredCount":2}' \
  2 "not stable after 2 s (waiting 1 deployment(s), 0/2 tasks running)"
[ $(($(date +%s) - t0)) -le 10 ] && ok "wait: deadline kept ($(($(date +%s) - t0)) s for 2)" || ko "wait: deadline overrun"

if [ -s "$bsd/rejected.log" ]; then
  ko "GNU-only calls on the macOS PATH:"; cat "$bsd/rejected.log"
else
  ok "no GNU-only call on the macOS PATH"
fi

# Mode bits: a file with a shebang is a program and executable; one without
# (a sourced library, a module, data) is not. Checked over the tracked files
# as they are in the working tree.
modes=$(git ls-files | while IFS= read -r f; do
  [ -f "$f" ] || continue
  if [ "$(head -c 2 "$f")" = "#!" ]; then
    [ -x "$f" ] || echo "has a shebang, not executable: $f"
  else
    [ ! -x "$f" ] || echo "executable, no shebang: $f"
  fi
done)
eq "mode bits: executable exactly when a shebang says how to run it" "" "$modes"

done_testing

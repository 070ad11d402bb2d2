#!/usr/bin/env bash
# e2e.sh -- the one-command deploy, end to end, against the emulator
# (tests/steps/75-deploy.sh runs it in `make test`).
#
# AWS is the strict emulator (python3 -m emulator.emu, TLS, IAM enforced; its
# ECS services report their tasks running, MOTO_ECS_SERVICE_RUNNING) and a
# local registry (Debian's docker-registry) on 127.0.0.1 stands in for ECR's
# endpoint; everything else is what a user runs, from a fresh clone in the
# layout a user has (generated files where the scripts put them: no
# TF_BACKEND_CONFIG or TF_DATA_ROOT override; uncommitted changes of this
# tree are committed in the clone first, so they are what gets tested):
#   1. clear errors first: a missing tool, wrong account, no or wrong
#      credentials, no region, a dirty tree, the tag `latest`, a destroy
#      without confirmation
#   2. `make deploy ENV=staging`: bootstraps the backend, applies global/ecr,
#      builds the image tagged with the commit, pushes it, applies staging
#      with its digest; the ECS wait and the public smoke test become
#      scripts/deploy/verify-emulator.sh (task definition pins the digest;
#      the pushed image, pulled back by digest and run as the task with the
#      task role's credentials, serves GET /api/foo from the deployed bucket);
#      the image is tagged with the clone's commit, never -dirty, and the
#      clone stays clean; the wait printed is the one the deployed resources
#      give (scripts/deploy/lib.sh deploy_wait_plan)
#   2b. the same clone, a PATH of macOS's commands (tests/e2e/bsd-path.sh):
#      `make plan` shows no change, and a second `make deploy` succeeds,
#      rebuilds nothing and changes no infrastructure; no GNU-only call
#   3. the CI path: `deploy.sh publish` (build once, digest out), then
#      `deploy.sh staging --image-digest D` (promotion: no build)
#   4. `make plan ENV=staging`, then `make destroy ENV=staging`; then the
#      shared roots (ecr, backend) are torn down and nothing is left
# Reports TAP: a line per check, timings as comments, the plan (tests/lib/lib.sh).
# Usage: tests/e2e/deploy-e2e.sh      Env: DEPLOY_E2E_DIR (default build/deploy-e2e)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo" || exit 1
. tests/lib/lib.sh # ok, ko, eq, skip_all and the TAP plan
work=${DEPLOY_E2E_DIR:-$repo/build/deploy-e2e}
rm -rf "$work"
mkdir -p "$work"
log=$work/e2e.log
: >"$log"

. scripts/image/lib.sh
[ -n "$ENGINE" ] || skip_all "$ENGINE_WHY"
needs terraform aws python3 jq curl docker-registry
needs_python moto
for f in scripts/tf-root.sh scripts/tf-bootstrap.sh; do
  [ -x "$f" ] || skip_all "$f is missing"
done

declare -a timings=()
finish() { end_run "$log" "${timings[@]}"; }
die() { ko "$*"; tail -n 40 "$log" | sed 's/^/  | /'; finish; }
# run LABEL BOUND OUTFILE COMMAND...: bounded, output to OUTFILE and the log
run() {
  local label=$1 bound=$2 out=$3 t0 rc
  shift 3
  t0=$(date +%s)
  echo "--- $label: $*" >>"$log"
  timeout "$bound" "$@" >"$out" 2>&1
  rc=$?
  cat "$out" >>"$log"
  timings+=("$label: $(($(date +%s) - t0)) s")
  return $rc
}
# refuses LABEL PATTERN COMMAND...: the command fails, saying PATTERN
refuses() {
  local label=$1 pattern=$2
  shift 2
  if run "$label" 120 "$work/out" "$@"; then
    ko "$label: succeeded"
  elif grep -q -- "$pattern" "$work/out"; then
    ok "$label: $(grep -m1 -o -- "$pattern.*" "$work/out" | cut -c1-90)"
  else
    ko "$label: no '$pattern' in: $(tail -n 2 "$work/out")"
  fi
}

################################################################################
# Emulator and registry (127.0.0.1 only, stopped by PID)
################################################################################

emu_dir=$work/emu emu_pid="" reg_pid=""
on_exit() {
  rm -f "$repo/infra/global/backend/bootstrap_override.tf"
  stop_pid "$reg_pid"
  stop_pid "$emu_pid"
}
trap on_exit EXIT

mkdir -p "$emu_dir"
MOTO_ECS_SERVICE_RUNNING=1 python3 -m emulator.emu --port 0 --tls --state-dir "$emu_dir" >"$emu_dir/stdout" 2>"$emu_dir/emu.log" </dev/null &
emu_pid=$!
for _ in $(seq 1 900); do
  [ -s "$emu_dir/ready.json" ] && break
  kill -0 "$emu_pid" 2>/dev/null || break
  sleep 0.1
done
[ -s "$emu_dir/ready.json" ] || { cat "$emu_dir/emu.log" >>"$log"; die "emulator did not start in 90 s"; }
eval "$(tests/emulator/emulator.sh env "$emu_dir")"

. tests/e2e/test-registry.sh
registry_start "$work" || die "registry did not start"
echo "emulator $AWS_ENDPOINT_URL, registry 127.0.0.1:$reg_port" | tee -a "$log"

# The emulator's account; the registry for pushes; checks the emulator can
# answer. Generated files go where a user's would: into the clone.
export AWS_ACCOUNT_ID=123456789012
unset TF_BACKEND_CONFIG TF_DATA_ROOT TF_BOOTSTRAP_STATE TF_BACKEND_CONFIG_EXTRA TF_WORK_DIR
export S3JSON_REGISTRY_OVERRIDE=127.0.0.1:$reg_port S3JSON_INSECURE_REGISTRIES=127.0.0.1:$reg_port
export S3JSON_DEPLOY_VERIFY=emulator
# Reuse the image test's cached apt layer instead of the daily refresh.
export S3JSON_DEPLOY_REFRESH=0
unset GITHUB_OUTPUT FORCE CONFIRM

# The user's clone. Uncommitted changes of this tree (tracked and untracked)
# become one commit there, so the clone is clean and tests them.
clone=$work/user-clone
git clone -q --no-hardlinks "$repo" "$clone" 2>>"$log" || die "git clone failed"
if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  git diff HEAD --binary | git -C "$clone" apply --binary 2>>"$log" || die "cannot carry the uncommitted changes into the clone"
  git ls-files -o --exclude-standard -z | tar --null -T - -cf - | tar -C "$clone" -xf -
  git -C "$clone" add -A &&
    git -C "$clone" -c user.name=e2e -c user.email=e2e@localhost commit -qm "e2e: uncommitted changes of $repo" ||
    die "cannot commit the uncommitted changes in the clone"
  echo "note: this tree has uncommitted changes: deploying them as a commit of the clone"
fi
cd "$clone" || die "no clone"

################################################################################
# 1. Clear errors, before anything is touched
################################################################################

refuses "wrong account" "wrong account" env AWS_ACCOUNT_ID=999999999999 make -s deploy ENV=staging
refuses "no credentials" "no usable AWS credentials" env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY \
  AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_CONFIG_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true make -s deploy ENV=staging
refuses "wrong secret key" "no usable AWS credentials" env AWS_SECRET_ACCESS_KEY=wrong make -s deploy ENV=staging
case $(command -v terraform) in
  /usr/bin/* | /bin/*) echo "note: terraform is in /usr/bin: the missing-tool check cannot hide it" ;;
  *) refuses "missing tool" "terraform is not installed" env PATH=/usr/bin:/bin make -s deploy ENV=staging ;;
esac
refuses "no region" "no region" env -u AWS_REGION -u AWS_DEFAULT_REGION make -s deploy ENV=staging
refuses "unknown environment" "unknown environment" make -s deploy ENV=qa
refuses "tag latest" "refusing to deploy the tag 'latest'" scripts/deploy/deploy.sh staging --image-tag latest
git clone -q --no-hardlinks "$clone" "$work/clone" 2>>"$log" && touch "$work/clone/uncommitted.txt"
refuses "dirty tree" "uncommitted changes" env -u FORCE "$work/clone/scripts/deploy/deploy.sh" staging
rm -rf "$work/clone"
refuses "destroy without confirmation" "without confirmation" make -s destroy ENV=staging </dev/null
eq "nothing was created by the refused runs" "" \
  "$(aws s3api list-buckets --query 'Buckets[].Name' --output text 2>>"$log")"

################################################################################
# 2. make deploy ENV=staging
################################################################################

export GITHUB_OUTPUT=$work/deploy.outputs
: >"$GITHUB_OUTPUT"
if run "make deploy ENV=staging" 1200 "$work/deploy.out" make -s deploy ENV=staging; then
  ok "make deploy ENV=staging"
else
  tail -n 30 "$work/deploy.out" | sed 's/^/  | /'
  die "make deploy ENV=staging failed"
fi
digest=$(sed -n 's/^image_digest=//p' "$GITHUB_OUTPUT")
tag=$(sed -n 's/^image_tag=//p' "$GITHUB_OUTPUT")
url=$(sed -n 's/^url=//p' "$GITHUB_OUTPUT")
eq "deploy printed the URL last" "$url" "$(tail -n 1 "$work/deploy.out")"
[[ $url =~ ^https?://[a-z0-9.-]+ ]] && ok "URL $url" || ko "URL: '$url'"
[[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] && ok "deployed by digest $digest" || ko "digest: '$digest'"
# >>> ECR keep tag (issue 10 item 6): the deployed digest carries staging-<time>.
env_tags=$(curl -fsS "http://127.0.0.1:$reg_port/v2/s3json/tags/list" | jq -r '.tags[]' | grep -E '^staging-[0-9]{14}$')
eq "deploy tagged the image for staging, that tag serves the deployed digest" "$digest" "$(curl -fsSI \
  -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json,application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:$reg_port/v2/s3json/manifests/$(head -n 1 <<<"$env_tags")" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"
# <<< ECR keep tag
# The tag is the clone's commit, never -dirty: the backend file, lock files
# and .terraform/ the deploy generated do not count as changes.
eq "image tagged with the clone's commit, not -dirty" "$(git rev-parse --short=12 HEAD)" "$tag"
eq "the clone is still clean after the deploy" "" "$(git status --porcelain --untracked-files=normal)"
[ -f infra/backend.hcl ] && git check-ignore -q infra/backend.hcl &&
  ok "infra/backend.hcl generated in the clone, ignored by git" || ko "no ignored infra/backend.hcl in the clone"
grep -q 'state backend: creating' "$work/deploy.out" && ok "deploy bootstrapped the missing backend" ||
  ko "deploy did not bootstrap the backend"
eq "registry holds the tag" "$tag" "$(curl -fsS "http://127.0.0.1:$reg_port/v2/s3json/tags/list" | jq -r '.tags[]' | grep -Fx -- "$tag")"
eq "registry serves that tag as the deployed digest" "$digest" "$(curl -fsSI \
  -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
  -H 'Accept: application/vnd.oci.image.index.v1+json' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
  -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
  "http://127.0.0.1:$reg_port/v2/s3json/manifests/$tag" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"
n=$(grep -o 'verify-emulator: [0-9]* checks passed' "$work/deploy.out" | grep -o '[0-9]*')
[ "${n:-0}" -ge 7 ] && ok "service, task definition and the running image verified ($n checks)" ||
  ko "verify-emulator did not pass"
state_bucket=$(sed -n 's/^bucket *= *"\(.*\)"$/\1/p' infra/backend.hcl)
for key in global/backend global/ecr environments/staging; do
  aws s3api head-object --bucket "$state_bucket" --key "$key/terraform.tfstate" >/dev/null 2>>"$log" &&
    ok "state of $key in s3://$state_bucket" || ko "no state of $key in the bucket"
done

# The wait it announced is the circuit breaker's worst case for what was
# deployed, figures read back from the emulator with awscli.
wait_line=$(grep -o 'to be stable (at most [0-9]* s = .*)' "$work/deploy.out" | head -n 1)
read -r w_total w_fails w_start w_grace w_interval w_unhealthy w_dereg w_stop w_poll <<<"$(sed -E \
  's/.*at most ([0-9]+) s = ([0-9]+) failed launches x \(([0-9]+) s start \+ ([0-9]+) s grace \+ ([0-9]+) s x ([0-9]+) unhealthy checks\) \+ ([0-9]+) s deregistration \+ ([0-9]+) s stop timeout \+ ([0-9]+) s poll\)/\1 \2 \3 \4 \5 \6 \7 \8 \9/' <<<"$wait_line")"
tg=$(aws elbv2 describe-target-groups --names s3json-staging --query 'TargetGroups[0]' --output json 2>>"$log")
dereg=$(aws elbv2 describe-target-group-attributes --target-group-arn "$(jq -r .TargetGroupArn <<<"$tg")" \
  --query "Attributes[?Key=='deregistration_delay.timeout_seconds'].Value" --output text 2>>"$log")
max_tasks=$(aws application-autoscaling describe-scalable-targets --service-namespace ecs \
  --query 'ScalableTargets[0].MaxCapacity' --output text 2>>"$log")
stop=$(aws ecs describe-task-definition --task-definition "$(aws ecs describe-services --cluster s3json-staging \
  --services s3json-staging --query 'services[0].taskDefinition' --output text 2>>"$log")" \
  --query 'taskDefinition.containerDefinitions[0].stopTimeout' --output text 2>>"$log")
fails=$(((max_tasks + 1) / 2))
[ "$fails" -ge 3 ] || fails=3
eq "wait: failed launches the circuit breaker allows (max $max_tasks tasks)" "$fails" "${w_fails:-}"
eq "wait: health check interval and unhealthy threshold of the target group" \
  "$(jq -r '"\(.HealthCheckIntervalSeconds) \(.UnhealthyThresholdCount)"' <<<"$tg")" "${w_interval:-} ${w_unhealthy:-}"
eq "wait: deregistration delay and stop timeout as deployed" "$dereg $stop" "${w_dereg:-} ${w_stop:-}"
eq "wait: the total printed is the sum ($wait_line)" \
  "$((fails * (${w_start:-0} + ${w_grace:-0} + ${w_interval:-0} * ${w_unhealthy:-0}) + dereg + stop + ${w_poll:-0}))" "${w_total:-}"

################################################################################
# 2b. From a Mac: the same clone, macOS's commands only; plan, deploy again
################################################################################

bsd_bin=$(tests/e2e/bsd-path.sh "$work/bsd-path")
# Changes the emulator reports on every plan (fields moto does not store),
# named with the reason (as in tests/e2e/infra-e2e.sh); any other change fails.
cat >"$work/ignored.json" <<'JSON'
{
  "aws_vpc_security_group_ingress_rule.description":
    "moto's DescribeSecurityGroupRules drops the description of rules that reference a security group or prefix list",
  "aws_vpc_security_group_egress_rule.description":
    "moto's DescribeSecurityGroupRules drops the description of rules that reference a security group or prefix list"
}
JSON
# plan_changes TFPLAN ROOT: prints how many resources change only in named
# gaps; fails (naming them) when anything else changes.
plan_changes() {
  scripts/tf-root.sh "$2" show -json "$1" >"$work/plan.json" 2>>"$log" || return 1
  python3 - "$work/plan.json" "$work/ignored.json" <<'PY'
import json, sys
plan = json.load(open(sys.argv[1]))
ignored = json.load(open(sys.argv[2]))
bad, gaps = [], 0
for rc in plan.get("resource_changes", []):
    actions = rc["change"]["actions"]
    if actions in (["no-op"], ["read"]):
        continue
    if actions != ["update"]:
        bad.append(f"{rc['address']}: {'/'.join(actions)}")
        continue
    before, after = rc["change"]["before"] or {}, rc["change"]["after"] or {}
    unknown = rc["change"].get("after_unknown") or {}
    keys = [k for k in sorted(set(before) | set(after)) if before.get(k) != after.get(k) or unknown.get(k)]
    odd = [k for k in keys if f"{rc['type']}.{k}" not in ignored]
    if odd:
        bad.append(f"{rc['address']}: {', '.join(odd)}")
    else:
        gaps += 1
for b in bad:
    print(f"unexpected change: {b}", file=sys.stderr)
print(gaps)
sys.exit(1 if bad else 0)
PY
}
gaps=0
if run "make plan ENV=staging (macOS PATH)" 600 "$work/plan-mac.out" env PATH="$bsd_bin" make -s plan ENV=staging; then
  ok "make plan ENV=staging on a macOS PATH"
  # (tf-root.sh runs terraform in the root's directory: an absolute path)
  if gaps=$(plan_changes "$PWD/build/deploy/environments-staging.tfplan" environments/staging 2>>"$log"); then
    ok "plan before the second deploy: no change but $gaps named emulator gap(s)"
  else
    ko "plan before the second deploy shows changes (see $log)"
  fi
else
  tail -n 20 "$work/plan-mac.out" | sed 's/^/  | /'
  ko "make plan ENV=staging on a macOS PATH failed"
fi
: >"$GITHUB_OUTPUT"
if run "make deploy ENV=staging, again (macOS PATH)" 900 "$work/deploy2.out" env PATH="$bsd_bin" make -s deploy ENV=staging; then
  ok "second make deploy ENV=staging from the same clone (macOS PATH)"
else
  tail -n 30 "$work/deploy2.out" | sed 's/^/  | /'
  ko "second make deploy ENV=staging failed"
fi
eq "second deploy: same image digest" "$digest" "$(sed -n 's/^image_digest=//p' "$GITHUB_OUTPUT")"
if grep -q 'already in the registry' "$work/deploy2.out"; then ok "second deploy: image not rebuilt"; else
  ko "second deploy rebuilt the image"; fi
eq "second deploy: global/ecr unchanged" "0 added, 0 changed, 0 destroyed" \
  "$(grep -o '[0-9]* added, [0-9]* changed, [0-9]* destroyed' build/deploy/ecr-apply.log | tail -n 1)"
eq "second deploy: staging unchanged (but the ${gaps:-?} emulator gap(s))" "0 added, $gaps changed, 0 destroyed" \
  "$(grep -o '[0-9]* added, [0-9]* changed, [0-9]* destroyed' build/deploy/staging-apply.log | tail -n 1)"
eq "the clone is still clean after two deploys" "" "$(git status --porcelain --untracked-files=normal)"
eq "no GNU-only call on the macOS PATH" "" "$(cat "$work/bsd-path/rejected.log")"

################################################################################
# 3. The pipeline's path: publish once, promote the digest
################################################################################

: >"$GITHUB_OUTPUT"
if run "deploy.sh publish" 900 "$work/publish.out" scripts/deploy/deploy.sh publish; then
  d2=$(sed -n 's/^image_digest=//p' "$GITHUB_OUTPUT")
  [[ $d2 =~ ^sha256:[0-9a-f]{64}$ ]] && [ "$(tail -n 1 "$work/publish.out")" = "$d2" ] &&
    ok "publish pushed and printed $d2" || ko "publish printed no digest"
else
  ko "deploy.sh publish failed"; d2=$digest
fi
grep -q 'applying infra/environments' "$work/publish.out" && ko "publish touched an environment" ||
  ok "publish applies no environment"
if run "deploy.sh staging --image-digest" 900 "$work/promote.out" scripts/deploy/deploy.sh staging --image-digest "$d2"; then
  ok "promotion of $d2 to staging"
else
  ko "promotion failed"
fi
grep -q 'building ' "$work/promote.out" && ko "promotion rebuilt the image" || ok "promotion built nothing"
grep -q 'verify-emulator: [0-9]* checks passed' "$work/promote.out" && ok "promoted digest verified running" ||
  ko "promoted digest not verified"

################################################################################
# 4. make plan, make destroy, then the shared roots
################################################################################

if run "make plan ENV=staging" 600 "$work/plan.out" make -s plan ENV=staging; then
  ok "make plan ENV=staging"
  grep -q "planning with image_digest=$d2" "$work/plan.out" && ok "plan keeps the running digest" ||
    ko "plan did not keep the running digest"
  grep -q '^=== infra/environments/staging' build/deploy/plan-staging.txt && ok "plan written to build/deploy/plan-staging.txt" ||
    ko "no readable plan"
else
  ko "make plan ENV=staging failed"
fi

if run "make destroy ENV=staging" 900 "$work/destroy.out" make -s destroy ENV=staging CONFIRM=staging; then
  ok "make destroy ENV=staging"
else
  ko "make destroy ENV=staging failed"
fi
# AWS (and the emulator) keep listing a deleted cluster as INACTIVE for a while.
eq "no active ECS cluster left" "" "$(aws ecs describe-clusters --clusters s3json-staging \
  --query 'clusters[?status==`ACTIVE`].clusterName' --output text 2>>"$log")"
eq "no ECS service left" "" "$(aws ecs describe-services --cluster s3json-staging --services s3json-staging \
  --query 'services[?status==`ACTIVE`].serviceName' --output text 2>>"$log")"
run "destroy global/ecr" 600 "$work/out" scripts/tf-root.sh global/ecr destroy -auto-approve -input=false \
  -var region="$AWS_REGION" || ko "destroy global/ecr failed"
run "teardown backend" 600 "$work/out" scripts/tf-bootstrap.sh --teardown -var region="$AWS_REGION" ||
  ko "backend teardown failed"
eq "no bucket left" "" "$(aws s3api list-buckets --query 'Buckets[].Name' --output text 2>>"$log")"

finish

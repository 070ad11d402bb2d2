#!/usr/bin/env bash
# e2e.sh -- the one-command deploy, end to end, against the emulator
# (scripts/test.d/75-deploy.sh runs it in `make test`).
#
# AWS is the strict emulator (scripts/infra-emu.py, TLS, IAM enforced) and a
# local registry (Debian's docker-registry) on 127.0.0.1 stands in for ECR's
# endpoint; everything else is what a user runs:
#   1. clear errors first: a missing tool, wrong account, no or wrong
#      credentials, no region, a dirty tree, the tag `latest`, a destroy
#      without confirmation
#   2. `make deploy ENV=staging`: bootstraps the backend, applies global/ecr,
#      builds the image tagged with the commit, pushes it, applies staging
#      with its digest; the ECS wait and the public smoke test become
#      scripts/deploy/verify-emulator.sh (task definition pins the digest;
#      the pushed image, pulled back by digest and run as the task with the
#      task role's credentials, serves GET /api/foo from the deployed bucket)
#   3. the CI path: `deploy.sh publish` (build once, digest out), then
#      `deploy.sh staging --image-digest D` (promotion: no build)
#   4. `make plan ENV=staging`, then `make destroy ENV=staging`; then the
#      shared roots (ecr, backend) are torn down and nothing is left
# Prints "ok/FAIL <check>" lines, timings and "RESULT: N passed, M failed".
# Usage: scripts/deploy/e2e.sh      Env: DEPLOY_E2E_DIR (default build/deploy-e2e)
set -uo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
cd "$repo"
work=${DEPLOY_E2E_DIR:-$repo/build/deploy-e2e}
rm -rf "$work"
mkdir -p "$work"
log=$work/e2e.log
: >"$log"

. scripts/image/lib.sh
[ -n "$ENGINE" ] || { echo "SKIP: $ENGINE_WHY"; exit 0; }
for tool in terraform aws python3 jq curl docker-registry; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 0; }
done
python3 -c 'import moto' 2>/dev/null || { echo "SKIP: python3 moto not installed"; exit 0; }
for f in scripts/tf-root.sh scripts/tf-bootstrap.sh; do
  [ -x "$f" ] || { echo "SKIP: $f is missing"; exit 0; }
done

pass=0 fail=0
declare -a timings=()
ok() { pass=$((pass + 1)); echo "ok    $*"; }
ko() { fail=$((fail + 1)); echo "FAIL  $*"; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1: expected [$2], got [$3]"; fi; }
finish() {
  echo
  echo "timings:"
  printf '  %s\n' "${timings[@]}"
  echo "log: $log"
  echo "RESULT: $pass passed, $fail failed"
  [ "$fail" -eq 0 ]
  exit $?
}
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
stop_pid() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
}
on_exit() {
  rm -f "$repo/infra/global/backend/bootstrap_override.tf"
  stop_pid "$reg_pid"
  stop_pid "$emu_pid"
}
trap on_exit EXIT

emu_py=scripts/infra-emu.py
[ -f "$emu_py" ] || emu_py=scripts/emulator/emu.py
mkdir -p "$emu_dir"
python3 "$emu_py" --port 0 --tls --state-dir "$emu_dir" >"$emu_dir/stdout" 2>"$emu_dir/emu.log" </dev/null &
emu_pid=$!
for _ in $(seq 1 900); do
  [ -s "$emu_dir/ready.json" ] && break
  kill -0 "$emu_pid" 2>/dev/null || break
  sleep 0.1
done
[ -s "$emu_dir/ready.json" ] || { cat "$emu_dir/emu.log" >>"$log"; die "emulator did not start in 90 s"; }
eval "$(scripts/emulator/emulator.sh env "$emu_dir")"

reg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$work/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: 127.0.0.1:$reg_port
EOF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
reg_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1 || die "registry did not start"
echo "emulator $AWS_ENDPOINT_URL, registry 127.0.0.1:$reg_port" | tee -a "$log"

# The emulator's account; a state backend of this run only; the registry
# for pushes; checks the emulator can answer.
export AWS_ACCOUNT_ID=123456789012
export TF_BACKEND_CONFIG=$work/backend.hcl TF_DATA_ROOT=$work/tfdata TF_BOOTSTRAP_STATE=$work/bootstrap.tfstate
export S3JSON_REGISTRY_OVERRIDE=127.0.0.1:$reg_port S3JSON_INSECURE_REGISTRIES=127.0.0.1:$reg_port
export S3JSON_DEPLOY_VERIFY=emulator
# Reuse the image test's cached apt layer instead of the daily refresh.
export S3JSON_DEPLOY_REFRESH=0
unset GITHUB_OUTPUT FORCE CONFIRM
if [ -n "$(git status --porcelain --untracked-files=normal)" ]; then
  echo "note: the work tree has uncommitted changes: deploying with FORCE=1 (a clean clone needs none)"
  export FORCE=1
fi

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
git clone -q --no-hardlinks "$repo" "$work/clone" 2>>"$log" && touch "$work/clone/uncommitted.txt"
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
  -H 'Accept: application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json' \
  "http://127.0.0.1:$reg_port/v2/s3json/manifests/$(head -n 1 <<<"$env_tags")" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: //p')"
# <<< ECR keep tag
# The tag names a commit of this repository (HEAD when the build started).
git rev-parse -q --verify "${tag:0:12}^{commit}" >/dev/null && [[ $tag =~ ^[0-9a-f]{12}(-dirty-[0-9]{14})?$ ]] &&
  ok "image tagged with the commit ($tag)" || ko "tag '$tag' does not name a commit"
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
state_bucket=$(sed -n 's/^bucket *= *"\(.*\)"$/\1/p' "$TF_BACKEND_CONFIG")
for key in global/backend global/ecr environments/staging; do
  aws s3api head-object --bucket "$state_bucket" --key "$key/terraform.tfstate" >/dev/null 2>>"$log" &&
    ok "state of $key in s3://$state_bucket" || ko "no state of $key in the bucket"
done

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

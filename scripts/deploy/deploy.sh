#!/usr/bin/env bash
# deploy.sh -- `make deploy ENV=staging`: from a clone to a running,
# smoke-tested service, one command.
#
#   1. preflight: tools, AWS credentials, account (AWS_ACCOUNT_ID), region
#   2. state backend: bootstrap it if absent (idempotent, tf-bootstrap.sh)
#   3. apply infra/global/ecr (the image repository)
#   4. build the image tagged with the git commit, for linux/amd64 and
#      linux/arm64 as one multi-architecture image (a dirty tree is refused
#      unless FORCE=1), log in to ECR, push; the digest is what gets deployed
#   5. tag the image ENV-<UTC time> (kept by ECR's lifecycle rule for ENV),
#      apply infra/environments/ENV with that digest
#   6. wait until the ECS service is stable on that image, at most the
#      circuit breaker's worst case computed from the Terraform outputs
#   7. smoke test: GET /api/foo through the public URL, compare with data/
#   8. print the URL
#
# Usage: scripts/deploy/deploy.sh ENV [--image-digest sha256:...|--image-tag TAG]
#          deploy ENV; with an image given, skip 3-4 (promotion, rollback)
#        scripts/deploy/deploy.sh publish
#          1-4 only: print the digest (CI builds once, then promotes it)
# Env: AWS_REGION (required), AWS_ACCOUNT_ID (recommended: refuse any other
#      account), FORCE=1 (deploy a dirty tree, tagged <commit>-dirty-<time>),
#      S3JSON_REGISTRY_OVERRIDE=HOST:PORT (tests: push there instead of ECR,
#      same repository path), S3JSON_DEPLOY_VERIFY=emulator (tests: the
#      image check of step 6 and step 7 become checks the emulator can
#      answer, scripts/deploy/verify-emulator.sh; the wait itself still runs).
# In GitHub Actions, writes the step outputs image_digest, image_tag, url
# and wait_seconds.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
  exit 2
}

mode=deploy env=""
case ${1:-} in
  "") die "no environment: make deploy ENV=staging (or ENV=prod); --help for more" ;;
  -h | --help) usage ;;
  publish) mode=publish ;;
  -*) usage ;;
  *) env=$1 ;;
esac
shift
digest="" tag=""
while [ $# -gt 0 ]; do
  case $1 in
    --image-digest) digest=$2; shift 2 ;;
    --image-tag) tag=$2; shift 2 ;;
    *) usage ;;
  esac
done
[ -z "$digest" ] || [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "--image-digest must be sha256:<64 hex>, got '$digest'"
[ -z "$tag" ] || [ "$tag" != latest ] || die "refusing to deploy the tag 'latest': deploy a commit tag or a digest"
t0=$(date +%s)
step() { log "[$(($(date +%s) - t0))s] $*"; }

preflight "${env:--}"
if [ -z "$digest" ] && [ -z "$tag" ] && [ "${FORCE:-0}" != 1 ] &&
  dirty=$(git -C "$REPO" status --porcelain --untracked-files=normal | head -n 10) && [ -n "$dirty" ]; then
  die "the working tree has uncommitted changes; commit them (or FORCE=1 to deploy them anyway):
$dirty"
fi
ensure_backend --create

################################################################################
# Image repository
################################################################################

if [ -z "$digest" ] && [ -z "$tag" ]; then
  step "applying infra/global/ecr"
  tf_quiet ecr-apply global/ecr apply -auto-approve -input=false -no-color -lock-timeout=5m "${TF_VARS[@]}"
fi
# A promotion or rollback (image given) only reads it.
repo_url=$(tf_out global/ecr repository_url) || die "no image repository yet: run \`make deploy ENV=staging\` first"
repo_name=${repo_url#*/}

# Digest of TAG in ECR, or nothing.
ecr_digest() {
  aws ecr describe-images --repository-name "$repo_name" --image-ids "imageTag=$1" \
    --query 'imageDetails[0].imageDigest' --output text 2>/dev/null | grep -E '^sha256:' || true
}

################################################################################
# Build and push, once per commit
################################################################################

build_and_push() {
  local sha dirty push_ref host
  . "$REPO/scripts/image/lib.sh"
  [ -n "$ENGINE" ] || die "cannot build the image: $ENGINE_WHY"
  sha=$(git -C "$REPO" rev-parse HEAD)
  dirty=$(git -C "$REPO" status --porcelain --untracked-files=normal | head -n 10)
  tag=${sha:0:12}
  if [ -n "$dirty" ]; then
    tag=$tag-dirty-$(date -u +%Y%m%d%H%M%S)
    log "FORCE=1: deploying uncommitted changes as $tag"
  fi

  if [ -n "${S3JSON_REGISTRY_OVERRIDE:-}" ]; then
    host=$S3JSON_REGISTRY_OVERRIDE
    # The same once-per-commit rule as with ECR, asked of that registry.
    # The list types first: without them a registry answers a multi-
    # architecture tag with one platform's manifest (and its digest).
    digest=$(curl -fsSI -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
      -H 'Accept: application/vnd.oci.image.index.v1+json' \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
      -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$host/v2/$repo_name/manifests/$tag" 2>/dev/null | tr -d '\r' |
      sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p' | grep -E '^sha256:[0-9a-f]{64}$' || true)
    if [ -n "$digest" ]; then
      step "image $host/$repo_name:$tag is already in the registry ($digest): not rebuilt"
      return 0
    fi
  else
    host=${repo_url%%/*}
    digest=$(ecr_digest "$tag")
    if [ -n "$digest" ]; then
      step "image $repo_url:$tag is already in ECR ($digest): not rebuilt"
      return 0
    fi
    step "logging in to $host"
    aws ecr get-login-password --region "$REGION" |
      eng login --username AWS --password-stdin "$host" >/dev/null ||
      die "$ENGINE login to $host failed"
  fi
  push_ref=$host/$repo_name:$tag

  step "building $push_ref for linux/amd64 and linux/arm64 with $ENGINE, pushing both as one image"
  # One multi-architecture image: ECS pulls the entry of the task's
  # cpu_architecture (X86_64 or ARM64), so the digest deploys and promotes
  # to any environment. --refresh: a deployment rebuilds the apt layer once
  # a day (security updates); S3JSON_DEPLOY_REFRESH=0 reuses the cached one.
  refresh=--refresh
  [ "${S3JSON_DEPLOY_REFRESH:-1}" != 0 ] || refresh=""
  digest=$("$REPO/scripts/image/publish.sh" ${refresh:+"$refresh"} "$push_ref") || die "build or push to $host failed"
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "no digest from the push of $push_ref"
}

if [ -z "$digest" ] && [ -n "$tag" ]; then
  digest=$(ecr_digest "$tag")
  [ -n "$digest" ] || die "no image $repo_url:$tag in ECR"
fi
[ -n "$digest" ] || build_and_push
step "image $repo_url@$digest${tag:+ (tag $tag)}"
gh_output image_digest "$digest"
gh_output image_tag "$tag"

if [ "$mode" = publish ]; then
  echo "$digest"
  exit 0
fi

################################################################################
# Environment
################################################################################

# >>> ECR keep tag (issue 10 item 6): tag what ENV is about to run
# `<env>-<UTC time>`, so global/ecr's rule for ENV keeps it and its rollback
# targets (infra/global/ecr/README.md).
env_tag=$("$REPO/scripts/deploy/tag-image.sh" "$env" "$repo_name" "$digest") || die "could not tag $repo_url@$digest for $env"
step "tagged $repo_url@$digest as $env_tag (kept while $env may run it)"
# <<< ECR keep tag
root=environments/$env
step "applying infra/$root"
tf_quiet "$env-apply" "$root" apply -auto-approve -input=false -no-color -lock-timeout=5m "${TF_VARS[@]}" \
  -var "image_digest=$digest"
outputs=$(tf_outputs "$root")
url=$(jq -r .url <<<"$outputs")
cluster=$(jq -r .cluster_name <<<"$outputs")
service=$(jq -r .service_name <<<"$outputs")
gh_output url "$url"

# The wait covers the circuit breaker's worst case, computed from what
# Terraform created (deployment_timing), not a fixed guess.
wait_plan=$(deploy_wait_plan "$(jq -c .deployment_timing <<<"$outputs")") ||
  die "no deployment_timing output in infra/$root"
IFS=$'\t' read -r wait_s wait_why <<<"$wait_plan"
step "waiting for $cluster/$service to be stable (at most $wait_s s = $wait_why)"
deploy_wait_stable "$cluster" "$service" "$wait_s"
gh_output wait_seconds "$wait_s"

if [ "${S3JSON_DEPLOY_VERIFY:-aws}" = emulator ]; then
  step "verifying against the emulator (no ECS tasks, no public URL there)"
  "$REPO/scripts/deploy/verify-emulator.sh" "$cluster" "$service" "$repo_url@$digest"
else
  running=$(aws ecs describe-services --cluster "$cluster" --services "$service" \
    --query 'services[0].taskDefinition' --output text)
  image=$(aws ecs describe-task-definition --task-definition "$running" \
    --query 'taskDefinition.containerDefinitions[0].image' --output text)
  [ "$image" = "$repo_url@$digest" ] || die "service runs $image, expected $repo_url@$digest"

  step "smoke test: GET $url/api/foo"
  want=$(jq -cS . "$REPO/data/foo.json")
  got="" deadline=$(($(date +%s) + 300))
  while [ "$(date +%s)" -lt "$deadline" ]; do
    got=$(curl -fsS --max-time 10 "$url/api/foo" 2>/dev/null | jq -cS . 2>/dev/null || true)
    [ "$got" = "$want" ] && break
    sleep 5
  done
  [ "$got" = "$want" ] || die "smoke test failed: GET $url/api/foo answered '${got:-nothing}', expected $want"
fi

step "done: $env runs $repo_url@$digest"
echo "$url"

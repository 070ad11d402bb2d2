#!/usr/bin/env bash
# verify-emulator.sh -- deploy.sh's steps 6-7 where AWS is an emulator.
#
# The emulator runs no ECS tasks and serves no load balancer, so instead of
# the ECS waiter and the public URL this checks what it can answer, and runs
# the task itself:
#   - the service is ACTIVE with a desired count >= 1, and its task
#     definition runs exactly the pushed image, as uid 10001, read-only, with
#     `/s3json healthcheck` as its health check;
#   - the pushed image, pulled back from the registry by digest, started as
#     ECS would start that task definition (its environment, read-only,
#     non-root) with the task role's permissions (STS AssumeRole, or its
#     policies on a throw-away user where the trust policy forbids), serves
#     GET /api/foo equal to data/foo.json from the bucket Terraform filled.
#
# Usage: verify-emulator.sh CLUSTER SERVICE IMAGE   (IMAGE = repository_url@digest)
# Env: AWS_* of the emulator (AWS_ENDPOINT_URL, AWS_CA_BUNDLE), and
#      S3JSON_REGISTRY_OVERRIDE, the registry the image was pushed to.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
. "$REPO/scripts/image/lib.sh"
[ $# -eq 3 ] || die "usage: verify-emulator.sh CLUSTER SERVICE IMAGE"
cluster=$1 service=$2 image=$3
[ -n "$ENGINE" ] || die "verify-emulator: $ENGINE_WHY"
[ -n "${S3JSON_REGISTRY_OVERRIDE:-}" ] || die "verify-emulator: S3JSON_REGISTRY_OVERRIDE is not set"

checks=0
ok() {
  checks=$((checks + 1))
  log "ok: $*"
}

svc=$(aws ecs describe-services --cluster "$cluster" --services "$service" --query 'services[0]' --output json)
[ "$(jq -r .status <<<"$svc")" = ACTIVE ] || die "service $service is not ACTIVE: $(jq -c '{status, desiredCount}' <<<"$svc")"
[ "$(jq -r .desiredCount <<<"$svc")" -ge 1 ] || die "service $service wants no task"
ok "service $cluster/$service ACTIVE, desired count $(jq -r .desiredCount <<<"$svc")"

td=$(aws ecs describe-task-definition --task-definition "$(jq -r .taskDefinition <<<"$svc")" \
  --query taskDefinition --output json)
c=$(jq '.containerDefinitions[0]' <<<"$td")
[ "$(jq -r .image <<<"$c")" = "$image" ] || die "task definition runs $(jq -r .image <<<"$c"), expected $image"
ok "task definition $(jq -r '.family + ":" + (.revision | tostring)' <<<"$td") runs $image"
[ "$(jq -c .healthCheck.command <<<"$c")" = '["CMD","/s3json","healthcheck"]' ] ||
  die "health check is $(jq -c .healthCheck <<<"$c")"
[ "$(jq -r .readonlyRootFilesystem <<<"$c")" = true ] || die "root filesystem is writable"
[ "$(jq -r .user <<<"$c")" = 10001:10001 ] || die "user is $(jq -r .user <<<"$c")"
ok "container: health check /s3json healthcheck, read-only root, user 10001"

# The task role's credentials, as the ECS agent would hand them to the task.
# The emulator enforces the trust policy (only ecs-tasks.amazonaws.com may
# assume it); then a throw-away user gets the role's own inline policies,
# the same documents, and runs the task with them.
role=$(jq -r .taskRoleArn <<<"$td")
role_name=${role##*/} user=""
if creds=$(aws sts assume-role --role-arn "$role" --role-session-name deploy-verify \
  --query Credentials --output json 2>/dev/null); then
  ok "assumed the task role $role"
else
  user=verify-$role_name-$$
  aws iam create-user --user-name "$user" >/dev/null
  for p in $(aws iam list-role-policies --role-name "$role_name" --query 'PolicyNames[]' --output text); do
    aws iam put-user-policy --user-name "$user" --policy-name "$p" --policy-document \
      "$(aws iam get-role-policy --role-name "$role_name" --policy-name "$p" --query PolicyDocument --output json)"
  done
  creds=$(aws iam create-access-key --user-name "$user" --query AccessKey --output json)
  ok "task role $role_name's policies ($(aws iam list-user-policies --user-name "$user" --query 'PolicyNames' --output text)) on user $user"
fi
cleanup_user() {
  [ -n "$user" ] || return 0
  for k in $(aws iam list-access-keys --user-name "$user" --query 'AccessKeyMetadata[].AccessKeyId' --output text); do
    aws iam delete-access-key --user-name "$user" --access-key-id "$k"
  done
  for p in $(aws iam list-user-policies --user-name "$user" --query 'PolicyNames[]' --output text); do
    aws iam delete-user-policy --user-name "$user" --policy-name "$p"
  done
  aws iam delete-user --user-name "$user"
}
trap cleanup_user EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ref=$S3JSON_REGISTRY_OVERRIDE/${image#*/}
args=(run -d --quiet --read-only --network=host --cap-drop=ALL --security-opt=no-new-privileges
  -e "S3JSON_PORT=$port" -e S3JSON_BIND=127.0.0.1
  -e "AWS_ENDPOINT_URL_S3=$AWS_ENDPOINT_URL"
  -e "AWS_ACCESS_KEY_ID=$(jq -r .AccessKeyId <<<"$creds")"
  -e "AWS_SECRET_ACCESS_KEY=$(jq -r .SecretAccessKey <<<"$creds")"
)
token=$(jq -r '.SessionToken // empty' <<<"$creds")
[ -z "$token" ] || args+=(-e "AWS_SESSION_TOKEN=$token")
if [ -n "${AWS_CA_BUNDLE:-}" ]; then
  args+=(-v "$AWS_CA_BUNDLE:/etc/emulator-ca.pem:ro" -e AWS_CA_BUNDLE=/etc/emulator-ca.pem)
fi
[ "$ENGINE" != podman ] || args+=(--read-only-tmpfs=false --health-interval=disable)
while IFS= read -r kv; do
  case $kv in S3JSON_PORT=*) continue ;; esac
  args+=(-e "$kv")
done < <(jq -r '.environment[] | "\(.name)=\(.value)"' <<<"$c")

cid=$(eng "${args[@]}" "$ref")
trap 'eng rm -f -t 0 "$cid" >/dev/null 2>&1 || true; cleanup_user' EXIT
ok "started $ref (pulled by digest) as the task would run"

want=$(jq -cS . "$REPO/data/foo.json") got=""
for _ in $(seq 1 100); do
  got=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/api/foo" 2>/dev/null | jq -cS . 2>/dev/null || true)
  [ "$got" = "$want" ] && break
  sleep 0.2
done
if [ "$got" != "$want" ]; then
  eng logs "$cid" 2>&1 | tail -n 20 >&2
  die "GET /api/foo answered '${got:-nothing}', expected $want"
fi
ok "GET /api/foo serves data/foo.json from the deployed bucket"
eng exec "$cid" /s3json healthcheck || die "/s3json healthcheck failed in the container"
ok "health check passes in the container"
log "verify-emulator: $checks checks passed"

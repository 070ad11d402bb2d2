#!/usr/bin/env bash
# plan.sh -- `make plan ENV=staging`: what `make deploy` would change.
#
# Plans infra/global/ecr and infra/environments/ENV against the real state
# (the backend must exist; nothing is created, nothing applied). The image
# is IMAGE_DIGEST or IMAGE_TAG when set, else the one the environment runs
# now (so the plan shows only infrastructure changes), else this commit's tag.
# Writes the readable plan to PLAN_OUT (default build/deploy/plan-ENV.txt)
# and prints it.
#
# Usage: scripts/deploy/plan.sh ENV
# Env: AWS_REGION (required), AWS_ACCOUNT_ID, IMAGE_DIGEST, IMAGE_TAG, PLAN_OUT
set -euo pipefail
. "$(dirname "$0")/lib.sh"
env=${1:-}
[ -n "$env" ] || die "usage: scripts/deploy/plan.sh ENV (make plan ENV=staging)"
preflight "$env"
ensure_backend
root=environments/$env
out=${PLAN_OUT:-$WORK/plan-$env.txt}
mkdir -p "$(dirname "$out")"

image=()
if [ -n "${IMAGE_DIGEST:-}" ]; then
  image=(-var "image_digest=$IMAGE_DIGEST")
elif [ -n "${IMAGE_TAG:-}" ]; then
  image=(-var "image_tag=$IMAGE_TAG")
else
  current=$(tf_out "$root" image 2>/dev/null || true)
  case $current in
    *@sha256:*) image=(-var "image_digest=${current##*@}") ;;
    *:*) image=(-var "image_tag=${current##*:}") ;;
    *) image=(-var "image_tag=$(git -C "$REPO" rev-parse --short=12 HEAD)") ;;
  esac
fi
log "planning with ${image[1]}"

: >"$out"
for r in global/ecr "$root"; do
  extra=()
  [ "$r" = global/ecr ] || extra=(${image[@]+"${image[@]}"})
  log=$WORK/plan-${r//\//-}.log rc=0
  tf "$r" plan -input=false -no-color -lock-timeout=5m -detailed-exitcode \
    -out="$WORK/${r//\//-}.tfplan" "${TF_VARS[@]}" ${extra[@]+"${extra[@]}"} >"$log" 2>&1 || rc=$?
  # -detailed-exitcode: 0 no changes, 2 changes, anything else an error.
  if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
    tail -n 40 "$log" >&2
    die "plan of infra/$r failed (log: $log)"
  fi
  {
    echo "=== infra/$r"
    tf "$r" show -no-color "$WORK/${r//\//-}.tfplan"
    echo
  } >>"$out"
done
cat "$out"
log "plan written to $out"

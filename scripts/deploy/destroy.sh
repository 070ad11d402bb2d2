#!/usr/bin/env bash
# destroy.sh -- `make destroy ENV=staging`: delete one environment.
#
# Destroys infra/environments/ENV only; the image repository (global/ecr),
# the state backend and the other environment stay. Asks for the
# environment's name on a terminal; without one, needs CONFIRM=ENV.
# prod keeps its load balancer's deletion protection and its documents
# bucket's contents unless its tfvars say otherwise: Terraform then stops
# with the reason, and nothing is half-deleted silently.
#
# Usage: scripts/deploy/destroy.sh ENV
# Env: AWS_REGION (required), AWS_ACCOUNT_ID, CONFIRM=ENV (non-interactive)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
env=${1:-}
[ -n "$env" ] || die "usage: scripts/deploy/destroy.sh ENV (make destroy ENV=staging)"
preflight "$env"
if [ "${CONFIRM:-}" != "$env" ]; then
  [ -t 0 ] || die "refusing to destroy $env without confirmation: set CONFIRM=$env"
  read -r -p "Destroy environment '$env' in account $ACCOUNT ($REGION)? Type its name: " answer
  [ "$answer" = "$env" ] || die "not confirmed; nothing destroyed"
fi
ensure_backend
root=environments/$env

# The image variables must be valid even to destroy: keep what runs now.
current=$(tf_out "$root" image 2>/dev/null || true)
case $current in
  *@sha256:*) image=(-var "image_digest=${current##*@}") ;;
  *:*) image=(-var "image_tag=${current##*:}") ;;
  *) image=(-var "image_tag=destroyed") ;;
esac

log "destroying infra/$root"
tf_quiet "$env-destroy" "$root" destroy -auto-approve -input=false -no-color -lock-timeout=5m "${TF_VARS[@]}" "${image[@]}"
log "done: $env destroyed (global/ecr and the state backend are kept)"

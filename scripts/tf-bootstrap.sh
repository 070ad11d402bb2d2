#!/usr/bin/env bash
# tf-bootstrap.sh -- create the Terraform state backend and write its config.
#
# Solves the chicken-and-egg of infra/global/backend, whose own state lives in
# the bucket it creates:
#   first run   apply with a local state (on a scratch copy of the root whose
#               backend is overridden to "local"), write the backend file
#               from the root's `backend_config` output, then push that state
#               into the bucket and delete the local copy;
#   later runs  init against the bucket and apply (no change when nothing
#               changed): the script is idempotent, and an interrupted first
#               run resumes from the local state it left.
# Every other root is then initialised with -backend-config=<that file> and
# its own key (scripts/tf-root.sh). Locking (use_lockfile) is never disabled.
#
# Usage: scripts/tf-bootstrap.sh [--teardown] [TERRAFORM APPLY ARGS...]
#   e.g. scripts/tf-bootstrap.sh -var region=eu-west-1 -var 'allowed_account_ids=["123456789012"]'
#   --teardown  move the state back to local and destroy the bucket with
#               every state in it (throw-away accounts and tests only)
# Env: TF_BACKEND_CONFIG (default infra/backend.hcl), TF_BACKEND_CONFIG_EXTRA,
#      TF_DATA_ROOT (see tf-root.sh), TF_BOOTSTRAP_STATE (local state path
#      during the first run, default infra/global/backend/bootstrap.tfstate)
set -euo pipefail

usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
teardown=0
case ${1:-} in
  -h | --help) usage 0 ;;
  --teardown) teardown=1; shift ;;
esac

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/tf-env.sh"

dir=$repo/infra/global/backend
key=global/backend/terraform.tfstate
cfg=${TF_BACKEND_CONFIG:-$repo/infra/backend.hcl}
local_state=${TF_BOOTSTRAP_STATE:-$dir/bootstrap.tfstate}
[ -n "${TF_DATA_ROOT:-}" ] && export TF_DATA_DIR=$TF_DATA_ROOT/global_backend

log() { echo "tf-bootstrap: $*" >&2; }
tf() { terraform -chdir="$dir" "$@"; }

s3_args() {
  bc=(-backend-config="$cfg")
  for f in ${TF_BACKEND_CONFIG_EXTRA:-}; do bc+=(-backend-config="$f"); done
  bc+=(-backend-config="key=$key")
}

# The local-state phases run on a private copy of the root whose backend is
# replaced by a "local" one through an override file: nothing is written
# into the source tree, so concurrent runs cannot trip over each other. The
# copy sits two levels down, next to a link to infra/modules, so the root's
# relative module source (../../modules/private-bucket) resolves as in infra/.
scratch=$(mktemp -d "${TMPDIR:-/tmp}/tf-bootstrap.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
scratch_root=$scratch/global/backend
local_root() {
  mkdir -p "$scratch_root"
  ln -sfn "$repo/infra/modules" "$scratch/modules"
  cp "$dir"/*.tf "$scratch_root/"
  cat >"$scratch_root/bootstrap_override.tf" <<HCL
terraform {
  backend "local" {
    path = "$local_state"
  }
}
HCL
  TF_DATA_DIR=$scratch/.terraform tf_init "$scratch_root" -reconfigure
}
ltf() { TF_DATA_DIR=$scratch/.terraform terraform -chdir="$scratch_root" "$@"; }

if [ "$teardown" -eq 1 ]; then
  [ -f "$cfg" ] || { log "no $cfg: nothing to tear down"; exit 0; }
  s3_args
  tf_init "$dir" -reconfigure "${bc[@]}"
  log "moving the state out of the bucket before deleting it"
  tf state pull >"$local_state.tmp" && mv "$local_state.tmp" "$local_state"
  local_root
  ltf apply -input=false -auto-approve -var force_destroy=true "$@"
  ltf destroy -input=false -auto-approve -var force_destroy=true "$@"
  rm -f "$local_state" "$local_state.backup" "$cfg"
  log "backend destroyed"
  exit 0
fi

if [ -f "$cfg" ] && [ ! -f "$local_state" ]; then
  log "backend exists ($cfg): applying with the state in the bucket"
  s3_args
  tf_init "$dir" -reconfigure "${bc[@]}"
  tf apply -input=false -auto-approve "$@"
  exit 0
fi

log "first run: applying with a local state ($local_state)"
local_root
ltf apply -input=false -auto-approve "$@"

mkdir -p "$(dirname "$cfg")"
ltf output -raw backend_config >"$cfg.tmp"
mv "$cfg.tmp" "$cfg"
log "wrote $cfg"

log "moving the state into the bucket"
s3_args
tf_init "$dir" -reconfigure "${bc[@]}"
if [ -n "$(tf state list)" ]; then
  remote=$(tf state pull | jq -r '"\(.lineage) \(.serial)"')
  if [ "$remote" = "$(jq -r '"\(.lineage) \(.serial)"' "$local_state")" ]; then
    # An earlier run pushed this very state and stopped before cleaning up.
    rm -f "$local_state" "$local_state.backup"
    log "done: state already in the bucket"
    exit 0
  fi
  log "the bucket already holds a different state for $key: not overwriting it"
  log "(local state kept at $local_state; compare, then delete one of them)"
  exit 1
fi
tf state push "$local_state"
if [ -z "$(tf state list)" ]; then
  log "the state did not arrive in the bucket; local state kept at $local_state"
  exit 1
fi
rm -f "$local_state" "$local_state.backup"
log "done: state in s3://$(sed -n 's/^bucket *= *"\(.*\)"/\1/p' "$cfg")/$key"

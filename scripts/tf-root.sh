#!/usr/bin/env bash
# tf-root.sh -- run terraform in one root of infra/ with the shared backend.
#
# Initialises the root against the S3 backend written by tf-bootstrap.sh
# (bucket, region, encryption, use_lockfile) with the root's own state key
# `<root>/terraform.tfstate`, then runs the given terraform command there.
# Nobody types a bucket name; locking is always on.
#
# Usage: scripts/tf-root.sh ROOT COMMAND [ARGS...]
#   ROOT     a root under infra/: global/ecr, environments/staging, ...
#   e.g.     scripts/tf-root.sh environments/staging plan -var image_tag=1.4.0
# Env:
#   TF_BACKEND_CONFIG        generated backend file (default infra/backend.hcl)
#   TF_BACKEND_CONFIG_EXTRA  extra -backend-config file(s), space-separated
#                            (tests use it for emulator endpoints)
#   TF_DATA_ROOT             keep each root's .terraform/ in TF_DATA_ROOT/<root>
set -euo pipefail

usage() { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-2}"; }
[ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ] && usage 0
[ $# -ge 2 ] || usage

repo=$(cd "$(dirname "$0")/.." && pwd)
. "$repo/scripts/tf-env.sh"

rel=${1%/}
shift
dir=$repo/infra/$rel
[ -f "$dir/versions.tf" ] || { echo "tf-root: no root at infra/$rel" >&2; exit 2; }
case $rel in
  modules/*) echo "tf-root: infra/$rel is a module, not a root" >&2; exit 2 ;;
esac

cfg=${TF_BACKEND_CONFIG:-$repo/infra/backend.hcl}
if [ ! -f "$cfg" ]; then
  echo "tf-root: backend configuration $cfg not found; run scripts/tf-bootstrap.sh first" >&2
  exit 1
fi

if [ -n "${TF_DATA_ROOT:-}" ]; then
  export TF_DATA_DIR=$TF_DATA_ROOT/${rel//\//_}
fi

bc=(-backend-config="$cfg")
for f in ${TF_BACKEND_CONFIG_EXTRA:-}; do bc+=(-backend-config="$f"); done
bc+=(-backend-config="key=$rel/terraform.tfstate")

tf_init "$dir" -reconfigure "${bc[@]}"
exec terraform -chdir="$dir" "$@"

#!/usr/bin/env bash
# tag-image.sh -- tag the image an environment is about to run
# `<env>-<UTC time>` (e.g. staging-20261203114800) in its repository, so
# infra/global/ecr's lifecycle rule for that environment keeps it: the image
# the environment runs and the ones it can roll back to never expire.
#
# ECR tags are immutable, so every deploy, promotion or rollback adds a new
# tag; an image may carry several. The manifest is re-put byte for byte under
# the new tag (AWS's documented way to retag), checked against DIGEST.
#
# Usage: scripts/deploy/tag-image.sh ENV REPOSITORY DIGEST   (prints the tag)
# Env: AWS_REGION; S3JSON_REGISTRY_OVERRIDE=HOST:PORT (tests: tag in that
#      registry through its HTTP API instead of ECR; plain HTTP when HOST:PORT
#      is in S3JSON_INSECURE_REGISTRIES).
# Works with bash 3.2 and BSD tools (macOS).
set -euo pipefail

usage() {
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
[ $# -eq 3 ] || usage
env=$1 repo=$2 digest=$3
die() {
  echo "tag-image: $*" >&2
  exit 1
}
case $env in
  -*) usage ;;
esac
printf '%s\n' "$env" | grep -Eq '^[a-z][a-z0-9-]{1,14}[a-z0-9]$' || die "bad environment name '$env'"
printf '%s\n' "$digest" | grep -Eq '^sha256:[0-9a-f]{64}$' || die "DIGEST must be sha256:<64 hex>, got '$digest'"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tag-image.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Manifest types a deploy can hold: single image or multi-architecture index.
accept="application/vnd.oci.image.index.v1+json,application/vnd.docker.distribution.manifest.list.v2+json"
accept="$accept,application/vnd.oci.image.manifest.v1+json,application/vnd.docker.distribution.manifest.v2+json"

# put_tag_ecr TAG / put_tag_registry TAG: give DIGEST the tag TAG; fail if
# TAG is taken.
put_tag_ecr() {
  aws ecr batch-get-image --repository-name "$repo" --image-ids "imageDigest=$digest" \
    --accepted-media-types application/vnd.oci.image.index.v1+json \
    application/vnd.docker.distribution.manifest.list.v2+json application/vnd.oci.image.manifest.v1+json \
    application/vnd.docker.distribution.manifest.v2+json --output json >"$tmp/image.json" ||
    die "no image $repo@$digest in ECR"
  [ "$(jq -r '.images | length' "$tmp/image.json")" = 1 ] || die "no image $repo@$digest in ECR"
  aws ecr put-image --repository-name "$repo" --image-tag "$1" --image-digest "$digest" \
    --image-manifest "$(jq -r '.images[0].imageManifest' "$tmp/image.json")" \
    --image-manifest-media-type "$(jq -r '.images[0].imageManifestMediaType' "$tmp/image.json")" \
    --output json >/dev/null
}

put_tag_registry() {
  local host=$S3JSON_REGISTRY_OVERRIDE scheme=https base type got
  case ",${S3JSON_INSECURE_REGISTRIES:-}," in *",$host,"*) scheme=http ;; esac
  base=$scheme://$host/v2/$repo/manifests
  curl -fsS -H "Accept: $accept" -D "$tmp/headers" -o "$tmp/manifest" "$base/$digest" ||
    die "no image $repo@$digest in $host"
  type=$(tr -d '\r' <"$tmp/headers" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n 1)
  [ -n "$type" ] || die "$host sent no media type for $repo@$digest"
  curl -fsS -X PUT -H "Content-Type: $type" --data-binary "@$tmp/manifest" \
    -D "$tmp/put-headers" -o /dev/null "$base/$1" || return 1
  got=$(tr -d '\r' <"$tmp/put-headers" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p' | tail -n 1)
  [ "$got" = "$digest" ] || die "$host stored $repo:$1 as '$got', expected $digest"
}

# Two deploys of one environment in the same second would want the same tag:
# the second waits a second and takes the next one.
for _ in 1 2 3; do
  tag=$env-$(date -u +%Y%m%d%H%M%S)
  if [ -n "${S3JSON_REGISTRY_OVERRIDE:-}" ]; then
    put_tag_registry "$tag" && { echo "$tag"; exit 0; }
  else
    put_tag_ecr "$tag" && { echo "$tag"; exit 0; }
  fi
  sleep 1
done
die "could not tag $repo@$digest for $env"

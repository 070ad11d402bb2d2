#!/usr/bin/env bash
# tag-image.sh -- tag the image an environment is about to run
# `<env>-<UTC time>` (e.g. staging-20261203114800) in its repository, so
# infra/global/ecr's lifecycle rule for that environment keeps it: the image
# the environment runs and the ones it can roll back to never expire.
#
# ECR tags are immutable, so every deploy, promotion or rollback adds a new
# tag; an image may carry several. The manifest is re-put byte for byte under
# the new tag (AWS's documented way to retag), checked against DIGEST.
# When DIGEST is a multi-architecture image index, each platform manifest it
# references is tagged `<env>-<time>-<arch>` too: ECR's lifecycle rules judge
# every manifest by its own tags, so the index's tag alone would not keep the
# manifests the environment's tasks pull.
#
# Usage: scripts/deploy/tag-image.sh ENV REPOSITORY DIGEST   (prints the tag)
# Env: AWS_REGION; S3JSON_REGISTRY_OVERRIDE=HOST:PORT (tests: tag in that
#      registry through its HTTP API instead of ECR; plain HTTP when HOST:PORT
#      is in S3JSON_INSECURE_REGISTRIES).
# Works with bash 3.2 and BSD tools (macOS).
set -euo pipefail

usage() {
  sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//' >&2
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

# get_manifest_ecr DIGEST / get_manifest_registry DIGEST: DIGEST's manifest
# into $tmp/manifest and its media type into $tmp/type.
get_manifest_ecr() {
  aws ecr batch-get-image --repository-name "$repo" --image-ids "imageDigest=$1" \
    --accepted-media-types application/vnd.oci.image.index.v1+json \
    application/vnd.docker.distribution.manifest.list.v2+json application/vnd.oci.image.manifest.v1+json \
    application/vnd.docker.distribution.manifest.v2+json --output json >"$tmp/image.json" ||
    die "no image $repo@$1 in ECR"
  [ "$(jq -r '.images | length' "$tmp/image.json")" = 1 ] || die "no image $repo@$1 in ECR"
  jq -j '.images[0].imageManifest' "$tmp/image.json" >"$tmp/manifest"
  jq -r '.images[0].imageManifestMediaType' "$tmp/image.json" >"$tmp/type"
}

get_manifest_registry() {
  curl -fsS -H "Accept: $accept" -D "$tmp/headers" -o "$tmp/manifest" "$base/$1" ||
    die "no image $repo@$1 in $S3JSON_REGISTRY_OVERRIDE"
  tr -d '\r' <"$tmp/headers" | sed -n 's/^[Cc]ontent-[Tt]ype: *//p' | tail -n 1 >"$tmp/type"
  [ -s "$tmp/type" ] || die "$S3JSON_REGISTRY_OVERRIDE sent no media type for $repo@$1"
}

# put_tag_ecr DIGEST TAG / put_tag_registry DIGEST TAG: give DIGEST the tag
# TAG; fail if TAG is taken.
put_tag_ecr() {
  get_manifest_ecr "$1"
  aws ecr put-image --repository-name "$repo" --image-tag "$2" --image-digest "$1" \
    --image-manifest "$(cat "$tmp/manifest")" --image-manifest-media-type "$(cat "$tmp/type")" \
    --output json >/dev/null
}

put_tag_registry() {
  local got
  get_manifest_registry "$1"
  curl -fsS -X PUT -H "Content-Type: $(cat "$tmp/type")" --data-binary "@$tmp/manifest" \
    -D "$tmp/put-headers" -o /dev/null "$base/$2" || return 1
  got=$(tr -d '\r' <"$tmp/put-headers" | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p' | tail -n 1)
  [ "$got" = "$1" ] || die "$S3JSON_REGISTRY_OVERRIDE stored $repo:$2 as '$got', expected $1"
}

put_tag() {
  if [ -n "${S3JSON_REGISTRY_OVERRIDE:-}" ]; then put_tag_registry "$@"; else put_tag_ecr "$@"; fi
}

# tag_platforms TAG: when DIGEST is an image index, tag each platform
# manifest it references TAG-<arch>. ECR's lifecycle rules judge every
# manifest on its own tags (a tag on the index protects none of its entries:
# AWS containers-roadmap #1466), so without this the environment's rule
# keeps the index while the manifests its tasks pull expire.
tag_platforms() {
  local entries d arch
  case $(cat "$tmp/type") in
    *image.index*|*manifest.list*) ;;
    *) return 0 ;;
  esac
  # Entries for an OS "unknown" are build attestations, never pulled.
  entries=$(jq -r '.manifests[] | select(.platform.os != "unknown") | "\(.digest) \(.platform.architecture)"' "$tmp/manifest") ||
    die "$repo@$digest: unreadable image index"
  [ -n "$entries" ] || die "$repo@$digest: image index without platform manifests"
  [ "$(printf '%s\n' "$entries" | cut -d' ' -f2 | sort | uniq -d)" = "" ] ||
    die "$repo@$digest: two platform manifests for one architecture; cannot tag them $1-<arch>"
  while read -r d arch <&3; do
    printf '%s\n' "$arch" | grep -Eq '^[a-z0-9]+$' || die "$repo@$digest: bad architecture '$arch'"
    put_tag "$d" "$1-$arch" </dev/null || die "could not tag $repo@$d (the $arch image of $digest) $1-$arch"
  done 3<<EOF_ENTRIES
$entries
EOF_ENTRIES
}

if [ -n "${S3JSON_REGISTRY_OVERRIDE:-}" ]; then
  scheme=https
  case ",${S3JSON_INSECURE_REGISTRIES:-}," in *",$S3JSON_REGISTRY_OVERRIDE,"*) scheme=http ;; esac
  base=$scheme://$S3JSON_REGISTRY_OVERRIDE/v2/$repo/manifests
fi

# Two deploys of one environment in the same second would want the same tag:
# the second waits a second and takes the next one.
# The index is tagged first: its tag claims the time, so its platform
# manifests' tags (TAG-<arch>) are free.
for _ in 1 2 3; do
  tag=$env-$(date -u +%Y%m%d%H%M%S)
  if put_tag "$digest" "$tag"; then
    tag_platforms "$tag"
    echo "$tag"
    exit 0
  fi
  sleep 1
done
die "could not tag $repo@$digest for $env"

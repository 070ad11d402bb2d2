#!/usr/bin/env bash
# publish.sh -- build the image for linux/amd64 and linux/arm64 and push both
# as one multi-architecture image (a manifest list) under one tag.
#
# ECS pulls the entry for its task's runtime_platform (cpu_architecture
# X86_64 or ARM64), so one digest runs in every environment whatever its
# CPU, and a digest promoted from staging to prod stays valid if the two
# differ. Each platform is built explicitly (scripts/image/build.sh
# --platform, never the laptop's own CPU by default); the build stage
# cross-compiles for the CPU it does not run on (Containerfile).
#
# Usage: scripts/image/publish.sh REF [--refresh]
#   REF        registry/repository:tag to push (the per-platform images are
#              built locally as REF-amd64 and REF-arm64)
#   --refresh  rebuild the apt layer today (passed to build.sh)
# Prints the manifest list's digest (sha256:...) on stdout, progress on
# stderr. Login to the registry is the caller's (deploy.sh does ECR's).
# Each platform image is pushed as REF-<arch>, then the list of them as REF
# (podman: `podman manifest add docker://REF-<arch>` and `manifest push`;
# docker: `docker manifest create/push`): no manifest of the image is left
# untagged for ECR's lifecycle policy to expire.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/image/lib.sh

PLATFORMS="linux/amd64 linux/arm64"
ref="" refresh=""
while [ $# -gt 0 ]; do
  case $1 in
    --refresh) refresh=--refresh; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    -*) echo "publish.sh: unknown argument $1" >&2; exit 2 ;;
    *) [ -z "$ref" ] || { echo "publish.sh: one REF only" >&2; exit 2; }; ref=$1; shift ;;
  esac
done
case $ref in
  */*:*) ;;
  *) echo "publish.sh: REF must be registry/repository:tag, got '$ref'" >&2; exit 2 ;;
esac
[ -n "$ENGINE" ] || { echo "publish.sh: cannot build an image: $ENGINE_WHY" >&2; exit 1; }

refs=""
for p in $PLATFORMS; do
  arch=${p#linux/}
  echo "publish.sh: building $ref-$arch ($p)" >&2
  scripts/image/build.sh ${refresh:+"$refresh"} --platform "$p" -t "$ref-$arch" >&2
  refs="$refs $ref-$arch"
done

digest_file=build/image/publish.digest
rm -f "$digest_file"
if [ "$ENGINE" = podman ]; then
  # Each platform image is pushed under its own tag REF-<arch> first, and the
  # list is made of those pushed manifests: ECR's lifecycle rules judge every
  # manifest by its own tags (a tag on the list protects none of its entries,
  # AWS containers-roadmap #1466), so none may be left untagged. v2s2:
  # Docker's manifest list and image format (keeps HEALTHCHECK).
  eng manifest rm "$ref" >/dev/null 2>&1 || true
  eng manifest create "$ref" >/dev/null
  for r in $refs; do
    echo "publish.sh: pushing $r" >&2
    eng push --quiet --format v2s2 "$r" "docker://$r" >&2 ||
      { echo "publish.sh: push of $r failed" >&2; exit 1; }
    eng manifest add "$ref" "docker://$r" >/dev/null
  done
  echo "publish.sh: pushing $ref ($PLATFORMS)" >&2
  # --all=false: the entries are in the registry already, under their tags.
  # The local list is removed after the push: podman 4.3 cannot list images
  # while it holds one whose entries were converted on push.
  rc=0
  eng manifest push --all=false --quiet --format v2s2 --digestfile "$digest_file" \
    "$ref" "docker://$ref" >&2 || rc=$?
  eng manifest rm "$ref" >/dev/null 2>&1 || true
  [ $rc -eq 0 ] || { echo "publish.sh: push of $ref failed" >&2; exit 1; }
  digest=$(cat "$digest_file")
else
  for r in $refs; do eng push "$r" >&2; done
  eng manifest rm "$ref" >/dev/null 2>&1 || true
  # shellcheck disable=SC2086 # $refs: one word per platform image
  eng manifest create "$ref" $refs >&2
  echo "publish.sh: pushing $ref ($PLATFORMS)" >&2
  digest=$(eng manifest push --purge "$ref" | grep -oE 'sha256:[0-9a-f]{64}' | tail -n 1)
  echo "$digest" >"$digest_file"
fi
case $digest in
  sha256:*) ;;
  *) echo "publish.sh: no digest from the push of $ref" >&2; exit 1 ;;
esac
echo "publish.sh: $ref@$digest" >&2
echo "$digest"

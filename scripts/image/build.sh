#!/usr/bin/env bash
# build.sh -- `make image`: build the s3json image with docker or podman.
#
# Uses docker when its daemon answers, else podman (scripts/image/lib.sh);
# with podman, first makes the debian:bookworm-slim base locally
# (scripts/image/base.sh), since nothing can be pulled here. The build
# context is staged under build/image/context with only what the
# Containerfile copies (Makefile, VERSION, app/src), so docker and podman
# see the same files whatever their ignore-file rules.
#
# Labels: org.opencontainers.image.{version,revision,source} from VERSION,
# `git rev-parse HEAD` (+ "-dirty" when the tree has changes) and the
# repository URL (GITHUB_SERVER_URL/GITHUB_REPOSITORY, else the origin remote).
#
# Usage: scripts/image/build.sh [-t REF]... [--platform P] [--refresh]
#   -t REF        tag (repeatable); default s3json:<12-hex commit>[-dirty]
#   --platform P  linux/amd64 (default: ECS's X86_64, whatever CPU builds it)
#                 or linux/arm64 (Graviton): always explicit, so an
#                 Apple-silicon laptop does not build arm64 for an x86_64
#                 task. The build stage runs on the machine's own CPU and
#                 cross-compiles for the other (Containerfile).
#   --refresh     rebuild the apt layer today (security updates; deploys use it)
# Prints the image id, its tags and size; writes build/image/last.env
# (IMAGE_ID=, IMAGE_REF=, IMAGE_REVISION=, IMAGE_SIZE=, IMAGE_PLATFORM=).
# Both platforms as one multi-architecture image: scripts/image/publish.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/image/lib.sh

tags=() refresh="" platform=linux/amd64
while [ $# -gt 0 ]; do
  case $1 in
    -t) tags+=("$2"); shift 2 ;;
    --platform)
      case ${2:-} in
        linux/amd64 | linux/arm64) platform=$2; shift 2 ;;
        *) echo "build.sh: --platform must be linux/amd64 or linux/arm64, got '${2:-}'" >&2; exit 2 ;;
      esac ;;
    --refresh) refresh=$(date -u +%Y-%m-%d); shift ;;
    -h|--help) sed -n '2,28p' "$0"; exit 0 ;;
    *) echo "build.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[ -n "$ENGINE" ] || { echo "build.sh: cannot build an image: $ENGINE_WHY" >&2; exit 1; }

version=$(cat VERSION)
revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ "$revision" != unknown ] && [ -n "$(git status --porcelain -- Makefile VERSION app/src Containerfile scripts/image/collect-libs.sh 2>/dev/null)" ]; then
  revision=$revision-dirty
fi
source_url=${S3JSON_IMAGE_SOURCE:-}
if [ -z "$source_url" ] && [ -n "${GITHUB_REPOSITORY:-}" ]; then
  source_url=${GITHUB_SERVER_URL:-https://github.com}/$GITHUB_REPOSITORY
fi
if [ -z "$source_url" ]; then
  source_url=$(git remote get-url origin 2>/dev/null || true)
  source_url=$(printf '%s' "$source_url" | sed -E 's#^git@([^:]+):#https://\1/#; s#\.git$##; s#//[^/@]*@#//#')
fi
[ ${#tags[@]} -gt 0 ] || tags=("s3json:${revision:0:12}${revision:40}")

ctx=build/image/context
rm -rf "$ctx"
mkdir -p "$ctx/app" "$ctx/scripts/image"
cp -a Makefile VERSION Containerfile "$ctx/"
cp -a app/src "$ctx/app/src"
cp -a scripts/image/collect-libs.sh "$ctx/scripts/image/"

start=$(date +%s)
args=(build -f "$ctx/Containerfile" --platform "$platform"
  --build-arg VERSION="$version" --build-arg REVISION="$revision"
  --build-arg SOURCE="$source_url" --build-arg APT_REFRESH="$refresh")
for t in ${tags[@]+"${tags[@]}"}; do args+=(-t "$t"); done
if [ "$ENGINE" = podman ]; then
  scripts/image/base.sh
  # docker format keeps HEALTHCHECK (OCI has no such field); host network
  # lets apt in the build stage reach the mirror.
  args+=(--pull=never --network=host --format=docker --layers)
  # Docker (BuildKit) sets BUILDPLATFORM/BUILDARCH itself; podman 4.3 does
  # not, and the build stage must run on the engine's own CPU.
  build_arch=$(eng info --format '{{.Host.Arch}}')
  args+=(--build-arg BUILDPLATFORM="linux/$build_arch" --build-arg BUILDARCH="$build_arch")
fi
eng "${args[@]}" "$ctx" >build/image/build.log 2>&1 || {
  tail -n 40 build/image/build.log >&2
  echo "build.sh: $ENGINE build failed (full log: build/image/build.log)" >&2
  exit 1
}
id=$(eng image inspect --format '{{.Id}}' "${tags[0]}")
size=$(image_size "${tags[0]}")
secs=$(( $(date +%s) - start ))
{
  echo "IMAGE_ID=$id"
  echo "IMAGE_REF=${tags[0]}"
  echo "IMAGE_REVISION=$revision"
  echo "IMAGE_SIZE=$size"
  echo "IMAGE_PLATFORM=$platform"
} >build/image/last.env
echo "image: ${tags[*]+${tags[*]}} (id ${id:0:19}, $platform, $ENGINE)"
echo "image size: $size bytes ($(awk -v b="$size" 'BEGIN { printf "%.1f", b / 1048576 }') MiB), built in ${secs}s"

#!/usr/bin/env bash
# base.sh -- make `debian:bookworm-slim` available to podman without a registry.
#
# Nothing can be pulled here, so the build stage's base is made from Debian's
# own packages: mmdebstrap (minbase, the machine's apt sources) writes a
# tarball, `podman import` names it docker.io/library/debian:bookworm-slim,
# and `FROM debian:bookworm-slim` then resolves locally (--pull=never). Only
# the build stage uses it; the runtime stage is FROM scratch.
#
# The tarball is cached in $IMAGE_CACHE_DIR (scripts/image/lib.sh) and
# rebuilt when older than S3JSON_BASE_MAX_AGE_DAYS (default 30); the build
# stage runs `apt-get upgrade`, so an older base still yields current
# packages. Idempotent; with docker (an engine that can pull) it does nothing.
#
# Usage: scripts/image/base.sh [--rebuild]
# Env:   S3JSON_DEBIAN_SOURCES  apt sources for the base (default: the host's
#        /etc/apt/sources.list.d/debian.sources, else /etc/apt/sources.list)
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/image/lib.sh

ref=docker.io/library/debian:bookworm-slim
tarball=$IMAGE_CACHE_DIR/debian-bookworm-minbase.tar
max_age=${S3JSON_BASE_MAX_AGE_DAYS:-30}
rebuild=0
[ "${1:-}" = --rebuild ] && rebuild=1

[ -n "$ENGINE" ] || { echo "base.sh: $ENGINE_WHY" >&2; exit 1; }
[ "$ENGINE" = podman ] || exit 0

if [ $rebuild -eq 0 ] && eng image exists "$ref" &&
  [ -f "$tarball" ] && [ -z "$(find "$tarball" -mtime +"$max_age")" ]; then
  exit 0
fi

if [ $rebuild -eq 1 ] || [ ! -s "$tarball" ] || [ -n "$(find "$tarball" -mtime +"$max_age")" ]; then
  command -v mmdebstrap >/dev/null ||
    { echo "base.sh: mmdebstrap is missing (apt-get install mmdebstrap)" >&2; exit 1; }
  sources=${S3JSON_DEBIAN_SOURCES:-}
  if [ -z "$sources" ]; then
    for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
      if [ -s "$f" ] && grep -qE '^(deb |URIs:)' "$f"; then sources=$f; break; fi
    done
  fi
  [ -n "$sources" ] ||
    { echo "base.sh: no Debian apt sources found; set S3JSON_DEBIAN_SOURCES=FILE" >&2; exit 1; }
  mkdir -p "$IMAGE_CACHE_DIR"
  echo "base.sh: building the bookworm base with mmdebstrap (sources: $sources)" >&2
  start=$(date +%s)
  # minbase resolves init-system-helpers' "usrmerge | usr-is-merged" to
  # usrmerge, which pulls in perl (~40 MB); with usr-is-merged included
  # both can go, as in Docker's own bookworm-slim.
  mmdebstrap --quiet --variant=minbase --mode=auto --format=tar \
    --include=usr-is-merged \
    --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/man/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' \
    --customize-hook='chroot "$1" dpkg --purge usrmerge libfile-find-rule-perl libnumber-compare-perl libtext-glob-perl perl libperl5.36 perl-modules-5.36 >/dev/null' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*.bin' \
    bookworm "$tarball.tmp" "$sources"
  mv -f "$tarball.tmp" "$tarball"
  echo "base.sh: base tarball $(du -m "$tarball" | cut -f1) MB in $(( $(date +%s) - start ))s" >&2
fi

eng import --quiet \
  --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  "$tarball" "$ref" >/dev/null
echo "base.sh: imported $ref" >&2

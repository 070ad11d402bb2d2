#!/usr/bin/env bash
# deps.sh -- Debian packages of the image, deploy and workflow steps:
# install the missing ones (as root), or name them (otherwise).
# Idempotent: does nothing when all are present.
# Usage: scripts/image/deps.sh [--print]   (--print: list and exit)
set -euo pipefail

PKGS=(
  # image build and test with podman, no Docker engine, no registry access
  podman runc conmon netavark aardvark-dns iptables
  golang-github-containers-common catatonit mmdebstrap
  # deploy test: a local registry standing in for ECR
  docker-registry
  # workflow validation (@action-validator/cli from npm)
  nodejs npm
)

if [ "${1:-}" = "--print" ]; then
  printf '%s\n' "${PKGS[@]}"
  exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    missing+=("$p")
done
# node may come from elsewhere (nodesource, nvm): a working npm is enough.
if command -v npm >/dev/null 2>&1; then
  kept=()
  for p in ${missing[@]+"${missing[@]}"}; do
    case $p in nodejs|npm) ;; *) kept+=("$p") ;; esac
  done
  missing=(${kept[@]+"${kept[@]}"})
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing ${missing[*]+${missing[*]}}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends ${missing[@]+"${missing[@]}"} >/dev/null
else
  echo "deps: missing Debian packages; run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]+${missing[*]}}" >&2
  exit 1
fi

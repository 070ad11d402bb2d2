#!/usr/bin/env bash
# deps.sh -- install (as root) or name (otherwise) the Debian packages s3json
# needs to build, test and run locally. Idempotent: does nothing when all are
# present.  Usage: scripts/deps.sh [--print]   (--print: list and exit)
set -euo pipefail

PKGS=(
  # build
  gcc make pkg-config
  libmicrohttpd-dev libcurl4-openssl-dev libssl-dev libjansson-dev
  libexpat1-dev zlib1g-dev
  # unit tests, lint, sanitizers, fuzzing
  libcmocka-dev clang clang-format clang-tidy libclang-rt-14-dev valgrind
  shellcheck
  # integration tests, local run, benchmarks
  curl openssl ca-certificates jq wrk nginx-light
)

if [ "${1:-}" = "--print" ]; then
  printf '%s\n' "${PKGS[@]}"
  exit 0
fi

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' \
    || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing Debian packages; run:" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

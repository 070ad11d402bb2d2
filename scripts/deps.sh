#!/usr/bin/env bash
# deps.sh -- install (as root) or name (otherwise) the Debian packages s3json
# needs to build, test and run locally. Idempotent: does nothing when all are
# present.
# Usage: scripts/deps.sh [--print] [--cross ARCH]
#   --print        list and exit
#   --cross arm64  the cross build instead (`make cross ARCH=arm64`): Debian's
#                  aarch64 compiler, the -dev packages for arm64 (multiarch:
#                  adds the architecture to dpkg first) and qemu-user-static
#                  to run the arm64 unit and API tests; cjose only as the
#                  runtime library (libcjose-dev is not multi-arch: the
#                  arm64 one would remove the host's; the Makefile links
#                  libcjose.so.0 with the host's headers)
set -euo pipefail

print=0 cross=""
while [ $# -gt 0 ]; do
  case $1 in
    --print) print=1; shift ;;
    --cross)
      case ${2:-} in
        arm64) cross=arm64; shift 2 ;;
        *) echo "deps: --cross takes arm64, got '${2:-}'" >&2; exit 2 ;;
      esac ;;
    *) echo "deps: unknown argument $1 (--print, --cross arm64)" >&2; exit 2 ;;
  esac
done

PKGS=(
  # build
  gcc make pkg-config
  libmicrohttpd-dev libcurl4-openssl-dev libssl-dev libjansson-dev
  libexpat1-dev zlib1g-dev libcjose-dev
  # unit tests, lint, sanitizers, fuzzing
  libcmocka-dev clang clang-format clang-tidy libclang-rt-14-dev valgrind
  shellcheck
  # integration tests, local run, benchmarks
  curl openssl ca-certificates jq wrk nginx-light
)
if [ "$cross" = arm64 ]; then
  PKGS=(
    gcc-aarch64-linux-gnu qemu-user-static libc6-dev:arm64
    libmicrohttpd-dev:arm64 libcurl4-openssl-dev:arm64 libssl-dev:arm64
    libjansson-dev:arm64 libexpat1-dev:arm64 zlib1g-dev:arm64
    libcjose0:arm64 libcmocka-dev:arm64
  )
fi

if [ $print -eq 1 ]; then
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
  if [ -n "$cross" ] && ! dpkg --print-foreign-architectures | grep -qx "$cross"; then
    dpkg --add-architecture "$cross"
  fi
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing Debian packages; run:" >&2
  [ -z "$cross" ] || echo "  sudo dpkg --add-architecture $cross && sudo apt-get update" >&2
  echo "  sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

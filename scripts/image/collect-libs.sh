#!/usr/bin/env bash
# collect-libs.sh -- copy an ELF binary's shared libraries and loader into a
# root tree, for any CPU (the image's runtime stage is FROM scratch).
#
# ldd runs the binary's loader, so it cannot read a cross-compiled (arm64)
# binary on an x86_64 build machine. This reads the ELF headers instead
# (readelf: its NEEDED entries and PT_INTERP loader), resolves each library
# in the binary's Debian multiarch directories (/lib/<triplet>,
# /usr/lib/<triplet>, as the loader searches them without an ld.so.cache),
# and follows each library's own NEEDED entries until none is new. Files are
# copied dereferenced under ROOTFS at the same paths, so the loader finds
# them there. A library that cannot be found is an error, not a gap.
#
# Usage: scripts/image/collect-libs.sh BINARY ROOTFS   (prints each path copied)
# Env:   READELF (default readelf: GNU readelf reads every ELF machine)
#        SYSROOT (default empty: look the libraries up under /)
# bash 3.2 and BSD tools are enough (no associative arrays, no GNU-only flags
# but cp's, which runs in the Debian build stage).
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: collect-libs.sh BINARY ROOTFS" >&2; exit 2; }
bin=$1 rootfs=$2
readelf=${READELF:-readelf}
sysroot=${SYSROOT:-}

machine=$("$readelf" -h "$bin" | sed -n 's/^ *Machine: *//p')
case $machine in
  AArch64) triplet=aarch64-linux-gnu ;;
  "Advanced Micro Devices X86-64") triplet=x86_64-linux-gnu ;;
  *) echo "collect-libs.sh: $bin: unsupported machine '$machine'" >&2; exit 1 ;;
esac
dirs="/lib/$triplet /usr/lib/$triplet /lib /usr/lib"

needed() { # ELF file -> its NEEDED sonames, one a line
  "$readelf" -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p'
}

resolve() { # soname -> path (without SYSROOT) of the first match
  local d
  for d in $dirs; do
    if [ -e "$sysroot$d/$1" ]; then
      echo "$d/$1"
      return 0
    fi
  done
  echo "collect-libs.sh: $1 (needed by $bin) not found in $dirs" >&2
  return 1
}

copy() { # path (without SYSROOT) -> ROOTFS/path, dereferenced
  mkdir -p "$rootfs$(dirname "$1")"
  cp -L "$sysroot$1" "$rootfs$1"
  echo "$1"
}

interp=$("$readelf" -l "$bin" | sed -n 's/.*Requesting program interpreter: \(.*\)]$/\1/p')
[ -n "$interp" ] || { echo "collect-libs.sh: $bin has no program interpreter" >&2; exit 1; }
copy "$interp"

# Breadth-first over NEEDED; $seen is a space-separated list of sonames
# (libc names the loader too: it is copied once, at the binary's path).
seen=" $(basename "$interp") " queue=$(needed "$bin")
while [ -n "$queue" ]; do
  next=""
  for so in $queue; do
    case $seen in *" $so "*) continue ;; esac
    seen="$seen$so "
    path=$(resolve "$so")
    copy "$path"
    next="$next $(needed "$sysroot$path" | tr '\n' ' ')"
  done
  queue=$(echo "$next" | tr -s ' ')
  [ "$queue" != " " ] || queue=""
done

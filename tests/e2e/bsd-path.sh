#!/usr/bin/env bash
# bsd-path.sh -- a PATH with only what a macOS laptop has, for tests.
#
# Only bash 5 and GNU tools exist here, so a GNU habit in a script a user
# runs on a Mac (bash 3.2, BSD userland) would pass every test. This builds
# DIR/bin holding:
#   - links to the commands macOS also ships or a user installs (bash, git,
#     curl, jq, terraform, aws, podman/docker, make, python3, awk, ...);
#   - shims for the commands whose GNU and BSD flags differ (sed, grep, date,
#     stat, readlink, mktemp, find, xargs, head, sort, cp, ln, ...): each
#     refuses what macOS's version lacks (sed -i without a suffix, sed -r,
#     date -d or %N, stat -c, readlink -f, grep -P, find -printf, xargs -r,
#     head -n -N, GNU long options, ...), says so on stderr, appends the
#     call to DIR/rejected.log, and exits 2; otherwise runs the real tool;
#   - nothing for GNU-only commands (timeout, stdbuf, nproc, realpath, tac,
#     sha256sum, ...): they are "command not found", as on a Mac.
# A test runs the laptop scripts with PATH=DIR/bin and then requires
# DIR/rejected.log to be empty (a script may hide a failing call with
# `|| true` or 2>/dev/null; the log still shows it).
#
# Usage: tests/e2e/bsd-path.sh DIR      prints DIR/bin
set -euo pipefail
[ $# -eq 1 ] || { echo "usage: bsd-path.sh DIR" >&2; exit 2; }
dir=$1
bin=$dir/bin
rm -rf "$bin"
mkdir -p "$bin"
: >"$dir/rejected.log"

# Commands a Mac has (or its user installs), linked as they are.
plain="bash sh env cat ls mkdir rmdir rm mv chmod touch tr cut tail uniq wc
tee dirname basename pwd sleep seq expr id uname hostname diff cmp comm od
tar gzip true false test kill ps printf echo git curl jq terraform aws
podman docker make python3 ssh-keygen openssl shasum base64 du awk"
# Commands whose GNU flags differ from macOS's: shimmed.
shimmed="sed grep egrep date stat readlink mktemp find xargs head sort cp ln"

real_of() { # NAME: the command the caller's PATH finds (a pyenv shim resolved)
  local r
  r=$(command -v "$1" 2>/dev/null) || return 0
  case $r in
    */.pyenv/shims/*) r=$(pyenv which "$1" 2>/dev/null) || r="" ;;
  esac
  echo "$r"
}

for t in $plain; do
  r=$(real_of "$t")
  [ -z "$r" ] || ln -s "$r" "$bin/$t"
done

cat >"$bin/.shim" <<'SHIM'
#!/usr/bin/env bash
# One shim for every tool in bsd-path.sh's list: refuse GNU-only usage.
name=${0##*/}
here=$(cd "${0%/*}/.." && pwd)
real=""
for p in /usr/local/bin /usr/bin /bin; do
  [ -x "$p/$name" ] && { real=$p/$name; break; }
done
reject() {
  echo "bsd-path: $name $*: not on macOS (BSD $name)" >&2
  printf '%s: %s | called as: %s\n' "$name" "$*" "$name $ARGS" >>"$here/rejected.log"
  exit 2
}
ARGS="$*"
# Long options: BSD tools have next to none; GNU habits use them a lot.
for a in "$@"; do
  case $a in
    --) break ;;
    --*) reject "$a (long option)" ;;
  esac
done
case $name in
  sed)
    prev=""
    for a in "$@"; do
      case $a in
        -i) reject "-i without a suffix (BSD: -i '' or -i.bak)" ;;
        -r | -[a-zA-Z]*r*) [ "$prev" = -e ] || [ "$prev" = -f ] || reject "$a (-r; use -E)" ;;
        -z | -s | -u) reject "$a" ;;
      esac
      prev=$a
    done ;;
  grep | egrep)
    prev=""
    for a in "$@"; do
      case $prev in -e | -f | -m | -A | -B | -C) prev=""; continue ;; esac
      case $a in
        --) break ;;
        -[a-zA-Z]*) case $a in -*P* | -*z* | -*T* | -*Z*) reject "$a" ;; esac ;;
      esac
      prev=$a
    done ;;
  date)
    for a in "$@"; do
      case $a in
        -d* | -I* | -r* | -s*) reject "$a (GNU date string/option)" ;;
        +*%N* | +*%-* | +*%:z*) reject "$a (format not in BSD strftime)" ;;
      esac
    done ;;
  stat)
    for a in "$@"; do
      case $a in -c* | -t* | --*) reject "$a (BSD stat uses -f)" ;; esac
    done ;;
  readlink)
    for a in "$@"; do
      case $a in -*[femz]*) reject "$a (not in older macOS readlink)" ;; esac
    done ;;
  mktemp)
    for a in "$@"; do
      case $a in -p* | -t* | -u*) reject "$a (GNU and BSD differ)" ;; esac
    done ;;
  find)
    for a in "$@"; do
      case $a in
        -printf | -fprintf | -fprint | -fprint0 | -regextype | -xtype | -readable | -writable | -executable | -wholename | -iwholename | -samefile | -ignore_readdir_race)
          reject "$a (GNU find only)" ;;
      esac
    done ;;
  xargs)
    for a in "$@"; do
      case $a in
        -[a-zA-Z]*) case $a in -I*) ;; -*r* | -*d* | -*a* | -*i*) reject "$a (GNU xargs only)" ;; esac ;;
        *) break ;;
      esac
    done ;;
  head)
    prev=""
    for a in "$@"; do
      case $a in -n-* | -c-*) reject "$a (negative count)" ;; esac
      case $prev in -n | -c) case $a in -*) reject "$prev $a (negative count)" ;; esac ;; esac
      prev=$a
    done ;;
  sort)
    for a in "$@"; do
      case $a in -[a-zA-Z]*) case $a in -*V* | -*h* | -*R*) reject "$a" ;; esac ;; esac
    done ;;
  cp)
    for a in "$@"; do
      case $a in -[a-zA-Z]*) case $a in -*T* | -*t* | -*u* | -*b* | -*d*) reject "$a (GNU cp only)" ;; esac ;; esac
    done ;;
  ln)
    for a in "$@"; do
      case $a in -[a-zA-Z]*) case $a in -*r* | -*T* | -*t* | -*b*) reject "$a (GNU ln only)" ;; esac ;; esac
    done ;;
esac
[ -n "$real" ] || { echo "bsd-path: $name: not found" >&2; exit 127; }
exec "$real" "$@"
SHIM
chmod +x "$bin/.shim"
for t in $shimmed; do ln -s .shim "$bin/$t"; done
echo "$bin"

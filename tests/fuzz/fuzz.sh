#!/usr/bin/env bash
# fuzz.sh -- builds and runs the libFuzzer targets in tests/fuzz/
#
# Each target is tests/fuzz/fuzz_<name>.c, linked with the modules it
# fuzzes (TARGET_SRC below), everything built by clang with
# -fsanitize=fuzzer,address,undefined into build/fuzz/.
#
#   tests/fuzz/fuzz.sh build  [TARGET...]  build only
#   tests/fuzz/fuzz.sh regress [TARGET...] build, then replay every seed and
#                                       regression input once
#   tests/fuzz/fuzz.sh run    [TARGET...]  build, replay, then fuzz each target
#                                       for FUZZ_SECONDS (default 300)
# With no TARGET, all of them. Environment:
#   FUZZ_SECONDS  time per target (run)                  default 300
#   FUZZ_JOBS     targets fuzzed at once                 default nproc
#   FUZZ_CC       compiler                               default clang
#   FUZZ_ARGS     extra libFuzzer flags (e.g. -use_value_profile=1)
#
# Inputs: tests/fuzz/corpus/<target>/ (seeds, committed, read only),
# tests/fuzz/regress/<target>/ (past crashers, committed, replayed
# first), tests/fuzz/<target>.dict (libFuzzer dictionary, optional).
# Outputs: build/fuzz/corpus/<target>/ (what fuzzing found, kept between
# runs), build/fuzz/crashes/<target>-crash-* (new crashers: reproduce with
# `build/fuzz/fuzz_<target> FILE`, fix, then copy into regress/<target>/),
# build/fuzz/logs/<target>.log.
# Prints one line per target (executions, coverage, corpus) and ends with
#   the TAP plan 1..N (tests/lib/lib.sh), which tests/run counts
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
. tests/lib/lib.sh # ok, ko and the TAP plan

FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_JOBS=${FUZZ_JOBS:-$(nproc 2>/dev/null || echo 1)}
FUZZ_CC=${FUZZ_CC:-clang}
FUZZ_ARGS=${FUZZ_ARGS:-}

dir=tests/fuzz
out=build/fuzz
ALL_TARGETS=(names query sigv4 xml_list xml_error cred_json iso8601
             cred_profile fields peer access_log ddb_json jwt jwks)

# Modules each target links (paths under app/src/), and its pkg-config
# packages.
declare -A TARGET_SRC=(
  [names]="http/names.c"
  [query]="http/names.c"
  [sigv4]="s3/sigv4.c util/buf.c"
  [xml_list]="s3/xml.c util/buf.c"
  [xml_error]="s3/xml.c util/buf.c"
  [cred_json]="aws/parse.c"
  [iso8601]="aws/parse.c"
  [cred_profile]="aws/profile.c aws/parse.c"
  [fields]="s3/fields.c"
  [peer]="http/peer.c"
  [access_log]="http/access_log.c http/cors.c log.c settings.c s3/fields.c ddb/json.c
                s3/xml.c util/buf.c util/str.c"
  [ddb_json]="ddb/json.c s3/xml.c util/buf.c util/str.c"
  [jwt]="auth/verify.c auth/jwks.c auth/scopes.c http/cors.c log.c settings.c s3/fields.c
         ddb/json.c s3/xml.c util/buf.c util/str.c"
  [jwks]="auth/jwks.c http/cors.c log.c settings.c s3/fields.c ddb/json.c s3/xml.c
          util/buf.c util/str.c"
)
declare -A TARGET_PKGS=(
  [sigv4]="libcrypto"
  [xml_list]="expat"
  [xml_error]="expat"
  [cred_json]="jansson libcrypto"
  [iso8601]="jansson libcrypto"
  [cred_profile]="jansson libcrypto"
  [fields]="libcurl"
  [access_log]="jansson libcurl expat"
  [ddb_json]="jansson expat"
  [jwt]="cjose jansson libcrypto libcurl expat"
  [jwks]="cjose jansson libcrypto libcurl expat"
)
# Longest input (bytes) per target that fuzzing generates: room for what
# the parser must handle (a 512-byte name escaped three times over, a
# session token, many keys) without making every run slow. Seeds past it
# (the 1000- and 1001-key listings) are replayed whole, and only cut when
# fuzzing starts from them.
declare -A TARGET_MAX_LEN=(
  [names]=2048 [query]=4096 [sigv4]=4096 [xml_list]=16384
  [xml_error]=4096 [cred_json]=8192 [iso8601]=64 [cred_profile]=8192
  [fields]=256
  [peer]=1024 [ddb_json]=16384 [jwt]=5120 [jwks]=8192
)
RSS_LIMIT_MB=1024 # per process; two run at once on a 2-core CI machine
TIMEOUT_S=10      # one input; every parser here is linear

# Same warnings as the Makefile's WARN (they are errors here too).
WARN=(-std=c11 -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla
      -Wstrict-prototypes -Wmissing-prototypes -Wno-unused-parameter)
# ASan + UBSan, plus two checks the Makefile's sanitizer build lacks:
# integer truncation or sign change in implicit conversions, and array
# bounds that are known locally. Every report is fatal.
# shellcheck disable=SC2054 # commas inside a flag
SAN=(-fsanitize=address,undefined,implicit-conversion,local-bounds
     -fno-sanitize-recover=all -fno-omit-frame-pointer)
CFLAGS_FUZZ=(-O1 -g -D_GNU_SOURCE -Iapp/src "${WARN[@]}" "${SAN[@]}")

die() { echo "fuzz.sh: $*" >&2; exit 2; }

# Compiles app/src/$1 into build/fuzz/obj/ unless it is up to date (newer
# than the source and every header). Prints the object's path.
compile_module() {
  local src=app/src/$1 obj=$out/obj/${1%.c}.o pkgs=$2
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || \
     [ -n "$(find app/src -name '*.h' -newer "$obj" -print -quit)" ]; then
    mkdir -p "$(dirname "$obj")"
    # shellcheck disable=SC2046,SC2086
    "$FUZZ_CC" "${CFLAGS_FUZZ[@]}" -fsanitize=fuzzer-no-link \
      $(pkg-config --cflags $pkgs 2>/dev/null) -c -o "$obj" "$src" >&2 \
      || return 1
  fi
  echo "$obj"
}

build_target() {
  local t=$1 src=$dir/fuzz_$1.c bin=$out/fuzz_$1 objs=() m o
  local pkgs=${TARGET_PKGS[$t]:-}
  [ -f "$src" ] || die "no target $t ($src)"
  for m in ${TARGET_SRC[$t]}; do
    o=$(compile_module "$m" "$pkgs") || return 1
    objs+=("$o")
  done
  local newest=$src
  for o in "${objs[@]}" $dir/fuzz.h; do
    [ "$o" -nt "$newest" ] && newest=$o
  done
  if [ ! -x "$bin" ] || [ "$newest" -nt "$bin" ]; then
    # shellcheck disable=SC2046,SC2086
    "$FUZZ_CC" "${CFLAGS_FUZZ[@]}" -fsanitize=fuzzer \
      $(pkg-config --cflags $pkgs 2>/dev/null) -o "$bin" "$src" \
      "${objs[@]}" $(pkg-config --libs $pkgs 2>/dev/null) || return 1
  fi
}

# Objects built with other flags (an older version of this script) are
# rebuilt.
flags_stamp() {
  local want="$FUZZ_CC ${CFLAGS_FUZZ[*]}"
  if [ "$(cat "$out/obj/flags" 2>/dev/null)" != "$want" ]; then
    rm -rf "$out/obj" "$out"/fuzz_*
    mkdir -p "$out/obj"
    echo "$want" >"$out/obj/flags"
  fi
}

lib_flags() { # common libFuzzer flags for target $1
  local t=$1
  echo "-rss_limit_mb=$RSS_LIMIT_MB -timeout=$TIMEOUT_S" \
       "-max_len=${TARGET_MAX_LEN[$t]:-4096}"
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Runs every seed and regression input of $1 once; 0 when none crashes.
replay() {
  local t=$1 bin=$out/fuzz_$1 log=$out/logs/$1.regress.log files=()
  local f
  for f in "$dir/regress/$t"/* "$dir/corpus/$t"/*; do
    [ -f "$f" ] && files+=("$f")
  done
  [ ${#files[@]} -eq 0 ] && return 0
  # shellcheck disable=SC2046
  "$bin" $(lib_flags "$t") -runs=1 "${files[@]}" >"$log" 2>&1
}

# Fuzzes $1 for FUZZ_SECONDS; the log ends with libFuzzer's final stats.
fuzz_one() {
  local t=$1 bin=$out/fuzz_$1 log=$out/logs/$1.log dict=()
  mkdir -p "$out/corpus/$t" "$out/crashes"
  [ -f "$dir/$t.dict" ] && dict=(-dict="$dir/$t.dict")
  # The first directory is where libFuzzer writes new inputs: ours in
  # build/, never the committed seeds.
  # shellcheck disable=SC2046,SC2086
  "$bin" $(lib_flags "$t") "${dict[@]}" -max_total_time="$FUZZ_SECONDS" \
    -print_final_stats=1 -artifact_prefix="$out/crashes/$t-" \
    -error_exitcode=77 -timeout_exitcode=78 $FUZZ_ARGS \
    "$out/corpus/$t" "$dir/corpus/$t" >"$log" 2>&1
}

# One summary line from a fuzzing log.
summary() {
  local log=$1 execs cov ft corp eps rss last
  execs=$(grep -aoE 'stat::number_of_executed_units: +[0-9]+' "$log" \
          | grep -oE '[0-9]+$' | tail -1)
  eps=$(grep -aoE 'stat::average_exec_per_sec: +[0-9]+' "$log" \
        | grep -oE '[0-9]+$' | tail -1)
  rss=$(grep -aoE 'stat::peak_rss_mb: +[0-9]+' "$log" | grep -oE '[0-9]+$' \
        | tail -1)
  last=$(grep -aE '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -oE 'cov: [0-9]+' | grep -oE '[0-9]+')
  ft=$(echo "$last" | grep -oE 'ft: [0-9]+' | grep -oE '[0-9]+')
  corp=$(echo "$last" | grep -oE 'corp: [0-9]+' | grep -oE '[0-9]+')
  echo "execs=${execs:-?} exec/s=${eps:-?} cov=${cov:-?} ft=${ft:-?}" \
       "corpus=${corp:-?} rss=${rss:-?}MB"
}

mode=${1:-run}
shift || true
case $mode in build|regress|run) ;; *) die "usage: $0 build|regress|run [TARGET...]" ;; esac
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=("${ALL_TARGETS[@]}")
mkdir -p "$out/logs" "$out/crashes"
command -v "$FUZZ_CC" >/dev/null || die "$FUZZ_CC not found (scripts/deps.sh)"

declare -A status=()
start=$(date +%s)
flags_stamp
for t in "${targets[@]}"; do
  if ! build_target "$t"; then
    echo "FAIL  $t: build failed"
    status[$t]=fail
  fi
done
[ "$mode" = build ] && {
  n=0; for t in "${targets[@]}"; do [ "${status[$t]:-}" = fail ] && n=$((n + 1)); done
  [ $n -eq 0 ] && echo "built: ${targets[*]}"
  exit $((n > 0))
}

for t in "${targets[@]}"; do
  [ "${status[$t]:-}" = fail ] && continue
  if ! replay "$t"; then
    echo "FAIL  $t: a seed or regression input crashes;" \
         "see $out/logs/$t.regress.log"
    grep -aE 'ERROR:|FUZZ_CHECK|runtime error|Running:' \
      "$out/logs/$t.regress.log" | tail -5 | sed 's/^/      /'
    status[$t]=fail
  fi
done

if [ "$mode" = run ]; then
  echo "fuzzing ${#targets[@]} targets, ${FUZZ_SECONDS}s each," \
       "$FUZZ_JOBS at a time"
  running=0
  for t in "${targets[@]}"; do
    [ "${status[$t]:-}" = fail ] && continue
    while [ "$running" -ge "$FUZZ_JOBS" ]; do
      wait -n
      running=$((running - 1))
    done
    rm -f "$out/logs/$t.rc"
    ( fuzz_one "$t"; echo $? >"$out/logs/$t.rc" ) &
    running=$((running + 1))
  done
  wait
  for t in "${targets[@]}"; do
    [ "${status[$t]:-}" = fail ] && continue
    if [ "$(cat "$out/logs/$t.rc" 2>/dev/null)" = 0 ]; then
      status[$t]=ok
    else
      status[$t]=fail
    fi
  done
fi

for t in "${targets[@]}"; do
  if [ "${status[$t]:-}" = fail ]; then
    if [ "$mode" = run ] && [ -f "$out/logs/$t.log" ]; then
      ko "$t: $(summary "$out/logs/$t.log")"
      grep -aE '^==[0-9]+==ERROR|FUZZ_CHECK failed|runtime error|Test unit written' \
        "$out/logs/$t.log" | head -4 | sed 's/^/      /'
    else
      ko "$t: build or replay failed (above)"
    fi
  else
    if [ "$mode" = run ]; then
      ok "$t: $(summary "$out/logs/$t.log")"
    else
      ok "$t: seeds and regression inputs replayed"
    fi
  fi
done
echo "# took $(( $(date +%s) - start ))s"
done_testing

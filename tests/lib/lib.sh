# shellcheck shell=bash
# lib.sh -- the shell half of the test support library (sourced; the Python
# half is the package tests/lib). Every shell step reports TAP, the format
# tests/run counts:
#   ok NAME / ko NAME        a passed / failed check: "ok N - NAME" / "not ok N - NAME"
#   eq NAME EXPECTED ACTUAL  ok when equal, else ko with both values
#   skip NAME REASON         a check that cannot run here: "ok N - NAME # SKIP REASON"
#   skip_all REASON          the whole step cannot run here: "1..0 # SKIP REASON", exit 0
#   check NAME CMD...        ok when CMD exits 0, else ko (CMD's output is shown)
#   needs TOOL...            skip_all unless every TOOL is on PATH
#   needs_python MODULE...   skip_all unless python3 imports every MODULE
#   done_testing             the plan "1..N" (after the checks: a shell step
#                            learns N as it goes); status 1 if any check failed
#   free_port                an unused TCP port on 127.0.0.1 (lib.net, the one
#                            implementation)
#   stop_pid PID             SIGTERM, up to 15 s, then SIGKILL (as lib.proc);
#                            nothing when PID is empty
#   end_run LOG TIMING...    the timings and the log's path as comments, the
#                            plan, and exit with done_testing's status
# $pass and $fail hold the counts.
pass=0 fail=0 skipped=0
_tap_n=0
ok() { pass=$((pass + 1)); _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $*"; }
ko() { fail=$((fail + 1)); _tap_n=$((_tap_n + 1)); echo "not ok $_tap_n - $*"; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else ko "$1: expected [$2], got [$3]"; fi; }
skip() { skipped=$((skipped + 1)); _tap_n=$((_tap_n + 1)); echo "ok $_tap_n - $1 # SKIP $2"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
check() { # NAME CMD...
  local name=$1 out
  shift
  if out=$("$@" 2>&1); then
    ok "$name"
  else
    ko "$name"
    printf '%s\n' "$out" | sed 's/^/# /'
  fi
}
needs() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || skip_all "$tool not installed"
  done
}
needs_python() {
  local m
  for m in "$@"; do
    python3 -c "import $m" 2>/dev/null || skip_all "python3 $m not installed"
  done
}
done_testing() { echo "1..$_tap_n"; [ "$fail" -eq 0 ]; }
free_port() { python3 -m lib.net free-port; }
stop_pid() {
  [ -n "$1" ] || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 150); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
}
end_run() {
  local log=$1
  shift
  echo
  echo "# timings:"
  printf '#   %s\n' "$@"
  echo "# log: $log"
  done_testing
  exit $?
}

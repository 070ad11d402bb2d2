#!/usr/bin/env bash
# emulator.sh -- run the strict AWS emulator (emu.py) from shell scripts.
#
#   emulator.sh start DIR [--tls] [--port N] [--http-port N] [--verbose]
#       start in the background (127.0.0.1 only), pid in DIR/emu.pid, log in
#       DIR/emu.log; waits (bounded: EMU_START_TIMEOUT, default 90 s) for
#       DIR/ready.json and prints its JSON line. --port defaults to 0 (any).
#   emulator.sh stop DIR       SIGTERM the pid in DIR/emu.pid (SIGKILL after 15 s)
#   emulator.sh env DIR        print export lines: AWS_ENDPOINT_URL,
#       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, AWS_DEFAULT_REGION,
#       AWS_CA_BUNDLE (with --tls); unsets AWS_SESSION_TOKEN and AWS_PROFILE.
#       Use: eval "$(tests/emulator/emulator.sh env DIR)"
#   emulator.sh pause DIR      stop listening, drop connections (state kept)
#   emulator.sh resume DIR     listen again on the same port(s)
#   emulator.sh status DIR     exit 0 if running
set -euo pipefail

py=${PYTHON:-python3}

usage() { sed -n '2,17p' "$0" >&2; exit 2; }

[ $# -ge 2 ] || usage
cmd=$1 dir=$2
shift 2

pid_of() { [ -f "$dir/emu.pid" ] && cat "$dir/emu.pid"; }
alive() { local p; p=$(pid_of) && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

wait_port() { # port up|down
  local port=$1 want=$2
  for _ in $(seq 1 150); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      [ "$want" = up ] && return 0
    else
      [ "$want" = down ] && return 0
    fi
    sleep 0.1
  done
  echo "emulator.sh: port $port did not go $want" >&2
  return 1
}

ready_field() { "$py" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$dir/ready.json" "$1"; }

case $cmd in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if alive; then
      echo "emulator.sh: already running (pid $(pid_of))" >&2
      exit 1
    fi
    port=0
    args=()
    while [ $# -gt 0 ]; do
      case $1 in
        --port) port=$2; shift 2 ;;
        *) args+=("$1"); shift ;;
      esac
    done
    rm -f "$dir/ready.json"
    nohup "$py" -m emulator.emu --port "$port" --state-dir "$dir" "${args[@]}" \
      >"$dir/stdout" 2>>"$dir/emu.log" </dev/null &
    echo $! >"$dir/emu.pid"
    timeout=${EMU_START_TIMEOUT:-90}
    deadline=$(( $(date +%s) + timeout ))
    while [ ! -s "$dir/ready.json" ]; do
      if ! alive; then
        echo "emulator.sh: emulator exited during start; log:" >&2
        tail -n 30 "$dir/emu.log" >&2 || true
        rm -f "$dir/emu.pid"
        exit 1
      fi
      if [ "$(date +%s)" -ge "$deadline" ]; then
        echo "emulator.sh: not ready after ${timeout}s; log:" >&2
        tail -n 30 "$dir/emu.log" >&2 || true
        kill -TERM "$(pid_of)" 2>/dev/null || true
        exit 1
      fi
      sleep 0.1
    done
    cat "$dir/ready.json"
    ;;
  stop)
    if alive; then
      pid=$(pid_of)
      kill -TERM "$pid"
      for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        echo "emulator.sh: pid $pid ignored SIGTERM; SIGKILL" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
    fi
    rm -f "$dir/emu.pid" "$dir/ready.json"
    ;;
  pause)
    alive || { echo "emulator.sh: not running" >&2; exit 1; }
    kill -USR1 "$(pid_of)"
    wait_port "$(ready_field port)" down
    ;;
  resume)
    alive || { echo "emulator.sh: not running" >&2; exit 1; }
    kill -USR2 "$(pid_of)"
    wait_port "$(ready_field port)" up
    ;;
  status)
    alive
    ;;
  env)
    [ -s "$dir/ready.json" ] || { echo "emulator.sh: no $dir/ready.json" >&2; exit 1; }
    "$py" - "$dir/ready.json" <<'EOF'
import json, shlex, sys
d = json.load(open(sys.argv[1]))
out = {
    "AWS_ENDPOINT_URL": d["endpoint"],
    "AWS_ACCESS_KEY_ID": d["admin"]["access_key_id"],
    "AWS_SECRET_ACCESS_KEY": d["admin"]["secret_access_key"],
    "AWS_REGION": d["region"],
    "AWS_DEFAULT_REGION": d["region"],
}
if d.get("ca_bundle"):
    out["AWS_CA_BUNDLE"] = d["ca_bundle"]
for k, v in out.items():
    print(f"export {k}={shlex.quote(str(v))}")
print("unset AWS_SESSION_TOKEN AWS_PROFILE")
EOF
    ;;
  *) usage ;;
esac

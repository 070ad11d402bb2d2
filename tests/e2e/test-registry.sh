# shellcheck shell=bash
# test-registry.sh -- sourced by the deploy tests (deploy-e2e.sh, tag-image-test.sh):
# a local OCI registry (Debian's docker-registry) on a free 127.0.0.1 port,
# standing in for ECR where images are pushed and read back. Needs
# tests/lib/lib.sh (free_port) sourced first.
#
#   registry_start DIR   serves DIR/registry; sets reg_port and reg_pid;
#                        returns 1 when it does not answer within 10 s.
# The caller stops it by its PID (reg_pid) in its exit trap.

registry_start() {
  local dir=$1 _
  reg_port=$(free_port)
  cat >"$dir/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/registry
http:
  addr: 127.0.0.1:$reg_port
YML
  docker-registry serve "$dir/registry.yml" >"$dir/registry.log" 2>&1 &
  # shellcheck disable=SC2034 # read by the caller (its exit trap)
  reg_pid=$!
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$reg_port/v2/" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

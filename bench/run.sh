#!/usr/bin/env bash
# `make bench`: install the bench's own tools and peers (bench/setup.sh), then measure
# (python -m jwtbench, pinned to CPU 1; every server it starts is pinned to CPU 0).
# Arguments go to jwtbench (`bench/run.sh --help`); `--profile` profiles jwtgate instead.
# Every server is stopped on exit, even when the run is interrupted or times out.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
out="$root/bench/out"
mkdir -p "$out"

if [ "$(nproc)" -lt 2 ]; then
  echo "bench: needs 2 CPUs (server on CPU 0, load on CPU 1); this machine has $(nproc)" >&2
  exit 2
fi
for tool in taskset psql node npm; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing" >&2; exit 2; }
done

mode=""
for arg in "$@"; do
  [ "$arg" = "--profile" ] && mode="profile"
done
bench/setup.sh $mode

export BENCH_PIDS_FILE="$out/pids"
if [ -n "${MAKELEVEL:-}" ]; then
  export BENCH_COMMAND="make bench${BENCH_ARGS:+ BENCH_ARGS='$BENCH_ARGS'}"
else
  export BENCH_COMMAND="bench/run.sh${*:+ $*}"
fi
: >"$BENCH_PIDS_FILE"
child=""

cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
    kill -TERM "$child" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$child" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$child" 2>/dev/null || true
  fi
  # Servers the orchestrator had not stopped yet (each is a process group leader).
  if [ -s "$BENCH_PIDS_FILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill -TERM -- "-$pid" 2>/dev/null || true
    done <"$BENCH_PIDS_FILE"
    sleep 1
    while read -r pid; do
      [ -n "$pid" ] && kill -KILL -- "-$pid" 2>/dev/null || true
    done <"$BENCH_PIDS_FILE"
  fi
  rm -f "$BENCH_PIDS_FILE"
  exit "$status"
}
trap cleanup EXIT INT TERM

# Bounded: the default run takes about 12 minutes; nothing may hang for ever.
PYTHONPATH="$root/bench" timeout --signal=TERM --kill-after=30 "${BENCH_TIMEOUT:-1800}" \
  taskset -c 1 "$root/.venv/bin/python" -m jwtbench "$@" &
child=$!
wait "$child"

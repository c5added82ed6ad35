#!/usr/bin/env bash
# Runs a command with a station server on a free loopback port (SQLite in a temporary
# folder) and one-time enrolment codes for the binding suites:
#   DOORSTEP_TEST_SERVER  http://127.0.0.1:PORT
#   DOORSTEP_TEST_CODES   eleven codes, comma-separated: two social workers (worker1,
#                         worker2), a station admin (admin) and a runner (runner1), the
#                         workers and the runner for 武昌区/中南路街道/丽岛社区/第1网格; then
#                         for the app's UI tests a third social worker (worker3) of that
#                         grid and a second station admin (admin2); then for the marshal's
#                         and the runner's UI tests a marshal (marshal1) and a runner
#                         (runner2) of that grid, and two station admins (admin3, admin4)
#                         whose phones issue the passes and pack the packages; then a
#                         fourth social worker (worker4) of that grid for the SDK's
#                         sync service test
#   DOORSTEP_TEST_ADMIN   name:password of a dashboard admin (for the app's UI tests)
# Usage: tests/with-server.sh tests/python/run.sh (each suite's run.sh calls it itself
# when DOORSTEP_TEST_SERVER is not set)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -q -p doorstep-server --bin doorstep
bin="${CARGO_TARGET_DIR:-target}/debug/doorstep"
data="$(mktemp -d /tmp/doorstep-server.XXXXXX)"
grid="武昌区/中南路街道/丽岛社区/第1网格"
# `doorstep enrol` prints the code, then the same code as a QR drawn in text: keep the code.
codes=(
  "$("$bin" enrol --data "$data" --user worker1 --role social_worker --area "$grid" | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user worker2 --role social_worker --area "$grid" | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user admin --role station_admin | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user runner1 --role runner --area "$grid" | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user worker3 --role social_worker --area "$grid" | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user admin2 --role station_admin | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user marshal1 --role marshal --area "$grid" | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user runner2 --role runner --area "$grid" | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user admin3 --role station_admin | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user admin4 --role station_admin | sed -n 1p)"
  "$("$bin" enrol --data "$data" --user worker4 --role social_worker --area "$grid" | sed -n 1p)"
)
DOORSTEP_ADMIN_PASSWORD=test-dashboard "$bin" admin create --data "$data" --name dash >/dev/null
RUST_LOG=warn "$bin" serve --data "$data" --listen 127.0.0.1:0 >"$data/out" 2>"$data/log" &
pid=$!
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$data"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$data/out" 2>/dev/null && break
  sleep 0.1
done
addr="$(sed -n 's/^listening on //p' "$data/out")"
[ -n "$addr" ] || { cat "$data/log" >&2; echo "with-server: the server did not start" >&2; exit 1; }
export DOORSTEP_TEST_SERVER="http://$addr"
export DOORSTEP_TEST_CODES="$(IFS=,; echo "${codes[*]}")"
export DOORSTEP_TEST_ADMIN="dash:test-dashboard"
"$@"

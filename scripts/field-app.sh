#!/usr/bin/env bash
# Opens the Android app in a desktop window against the local demo station: starts
# `doorstep serve --demo` (unless one answers on 127.0.0.1:8080), makes a one-time code for
# a social worker of the demo's first grid, and opens the app with the address and the code
# printed here to type in on its first-run screen. Usage: scripts/field-app.sh [en]
# Needs a display (or Xvfb); the app keeps its store in ~/.doorstep-desktop.
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DOORSTEP_DEMO_DATA:-doorstep-data}"
cargo build -q --release -p doorstep-server --bin doorstep
bin="${CARGO_TARGET_DIR:-target}/release/doorstep"
if ! curl -fs http://127.0.0.1:8080/healthz >/dev/null 2>&1; then
  "$bin" serve --demo --data "$data" >/tmp/doorstep-demo.log 2>&1 &
  trap 'kill $! 2>/dev/null' EXIT
  for _ in $(seq 300); do curl -fs http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break; sleep 0.2; done
fi
# The demo's first grid (core/src/sample.rs puts its first buildings there).
grid="武昌区/中南路街道/丽岛社区/第1网格"
code="$("$bin" enrol --data "$data" --user field-app --role social_worker --area "$grid" | sed -n 1p)"
echo "server: http://127.0.0.1:8080   code: $code   (a social worker of $grid)"
scripts/gen-bindings.sh >/dev/null
(cd android && mvn -B -ntp -q -pl desktop -am install -DskipTests)
java -Djna.library.path=target/bindings \
  -cp "android/desktop/target/classes:$(cat android/desktop/target/classpath.txt)" \
  org.doorstep.desktop.MainKt "$HOME/.doorstep-desktop" http://127.0.0.1:8080 "${1:-zh}"

#!/usr/bin/env bash
# Opens the Android app in a desktop window against the local demo station: starts
# `doorstep serve --demo` (unless one answers on 127.0.0.1:8080), makes a one-time code for
# a social worker of the demo's first grid, and opens the app with the address and the code
# printed here to type in on its first-run screen. Usage: scripts/field-app.sh [en]
#
# Without a display it runs under Xvfb (`xvfb-run`, Debian's `xvfb`), where nobody sees the
# window: that is for checking that it opens. The app keeps its store in
# ~/.doorstep-desktop. Settings, all optional:
#   DOORSTEP_DEMO_DATA     the demo station's folder (default target/field-app-demo)
#   DOORSTEP_BIN           a `doorstep` already built, instead of building it (release)
#   DOORSTEP_SKIP_GEN=1    reuse target/bindings instead of generating them
#   DOORSTEP_DESKTOP_DATA  the app's folder (default ~/.doorstep-desktop)
#   FIELD_APP_SHOT=x.png   after FIELD_APP_WAIT seconds (default 30) take a picture of the
#                          screen (ImageMagick's `import`) into x.png and close the app
set -euo pipefail
cd "$(dirname "$0")/.."
data="${DOORSTEP_DEMO_DATA:-target/field-app-demo}"
if [ -n "${DOORSTEP_BIN:-}" ]; then
  bin="$DOORSTEP_BIN"
else
  cargo build -q --release -p doorstep-server --bin doorstep
  bin="${CARGO_TARGET_DIR:-target}/release/doorstep"
fi
server=""
if ! curl -fs http://127.0.0.1:8080/healthz >/dev/null 2>&1; then
  mkdir -p "$data"
  "$bin" serve --demo --data "$data" >"$data/serve.log" 2>&1 &
  server=$!
  for _ in $(seq 300); do curl -fs http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break; sleep 0.2; done
  curl -fs http://127.0.0.1:8080/healthz >/dev/null || { echo "the demo station did not start: see $data/serve.log" >&2; exit 1; }
fi
app=""
# Whatever ends the script ends what it started (the saved ids: $! changes with each job).
trap '[ -z "$app" ] || kill "$app" 2>/dev/null; [ -z "$server" ] || kill "$server" 2>/dev/null' EXIT
# The demo's first grid (core/src/sample.rs puts its first buildings there).
grid="武昌区/中南路街道/丽岛社区/第1网格"
code="$("$bin" enrol --data "$data" --user field-app --role social_worker --area "$grid" | sed -n 1p)"
echo "server: http://127.0.0.1:8080   code: $code   (a social worker of $grid)"
[ "${DOORSTEP_SKIP_GEN:-0}" = 1 ] || scripts/gen-bindings.sh >/dev/null
(cd android && mvn -B -ntp -q -pl desktop -am install -DskipTests)
app_cmd=(java -Djna.library.path=target/bindings
  -cp "android/desktop/target/classes:$(cat android/desktop/target/classpath.txt)"
  org.doorstep.desktop.MainKt "${DOORSTEP_DESKTOP_DATA:-$HOME/.doorstep-desktop}" http://127.0.0.1:8080 "${1:-zh}")
display=()
if [ -z "${DISPLAY:-}" ]; then
  command -v xvfb-run >/dev/null || { echo "no display: set DISPLAY or install xvfb" >&2; exit 1; }
  display=(xvfb-run -a -s "-screen 0 480x900x24")
fi
if [ -z "${FIELD_APP_SHOT:-}" ]; then
  "${display[@]}" "${app_cmd[@]}"
  exit
fi
# The picture is taken inside the display the app draws on: under xvfb-run that display is
# reachable only from the command it runs, so one shell there runs both the app and `import`.
command -v import >/dev/null || { echo "FIELD_APP_SHOT needs ImageMagick's import" >&2; exit 1; }
"${display[@]}" bash -c '
  "${@:3}" & app=$!
  sleep "$1"
  kill -0 "$app" 2>/dev/null || { echo "the app exited before the picture" >&2; exit 1; }
  import -window root "$2"; status=$?
  kill "$app"; wait "$app" 2>/dev/null
  exit $status' _ "${FIELD_APP_WAIT:-30}" "$(realpath -m "$FIELD_APP_SHOT")" "${app_cmd[@]}" &
app=$!
wait "$app"
app=""
echo "screenshot: $FIELD_APP_SHOT"

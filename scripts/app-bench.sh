#!/usr/bin/env bash
# The Android app's bench on the desktop (release cdylib): cold start to the due list's
# first frame, "finish visit" to the next frame, scrolling a 500-entry due list, a decoded
# code to the marshal's outcome card over 2,000 scans, and the heap (after GC) before and
# after 1,000 scans more. Prints its figures; take them on a quiet machine.
set -euo pipefail
cd "$(dirname "$0")/.."
# Bindings come from the debug build (the release profile strips the metadata uniffi
# reads); the library loaded is the release build of the same source.
scripts/gen-bindings.sh >/dev/null
cargo build -q --release -p doorstep-ffi --lib
(cd android && mvn -B -ntp -q -pl desktop -am install -DskipTests)
dir="$(mktemp -d /tmp/doorstep-app-bench.XXXXXX)"
trap 'rm -rf "$dir"' EXIT
bench() {
  java -Djava.awt.headless=true -Djna.library.path="${CARGO_TARGET_DIR:-target}/release" \
    -cp "android/desktop/target/classes:$(cat android/desktop/target/classpath.txt)" \
    org.doorstep.desktop.Bench "$@"
}
bench seed "$dir"
bench run "$dir"

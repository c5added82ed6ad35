#!/usr/bin/env bash
# Builds the doorstep-ffi cdylib and generates Kotlin, Swift and Python bindings from it
# in library mode into target/bindings/{kotlin,swift,python}.
# Usage: scripts/gen-bindings.sh [debug|release]   (default: debug)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-debug}"
flag=""
[ "$profile" = release ] && flag="--release"
cargo build -q -p doorstep-ffi --lib $flag
cargo build -q -p doorstep-ffi --features cli --bin uniffi-bindgen
build="${CARGO_TARGET_DIR:-target}"
lib="$build/$profile/libdoorstep_ffi.so"
[ -f "$lib" ] || lib="$build/$profile/libdoorstep_ffi.dylib"
# Bindings always land in this checkout's target/, wherever cargo builds.
out=target/bindings
rm -rf "$out"
for lang in kotlin swift python; do
  "$build/debug/uniffi-bindgen" generate --library "$lib" --language "$lang" --out-dir "$out/$lang" --no-format >/dev/null
done
cp "$lib" "$out/"
# The Python module loads the library from its own folder.
cp "$lib" "$out/python/"
echo "bindings in $out (library $(basename "$lib"), $profile)"

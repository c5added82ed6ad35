#!/usr/bin/env bash
# Builds the doorstep-ffi cdylib and generates Kotlin, Swift and Python bindings from it
# in library mode into target/bindings/{kotlin,swift,python}, with a stripped copy of the
# library beside them.
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
# uniffi-bindgen reads the metadata from the library's symbol table, which the release
# profile keeps; the copies the suites load are stripped of it afterwards.
for lang in kotlin swift python; do
  "$build/debug/uniffi-bindgen" generate --library "$lib" --language "$lang" --out-dir "$out/$lang" --no-format >/dev/null
done
name=$(basename "$lib")
if [ "$profile" = release ]; then
  case "$name" in
    *.dylib) strip -x -o "$out/$name" "$lib" ;;
    *) strip --strip-all -o "$out/$name" "$lib" ;;
  esac
else
  cp "$lib" "$out/"
fi
# The Python module loads the library from its own folder.
cp "$out/$name" "$out/python/"
echo "bindings in $out (library $name, $profile)"

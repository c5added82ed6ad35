#!/usr/bin/env bash
# Builds the doorstep-ffi cdylib and generates Kotlin, Swift and Python bindings from it
# in library mode into target/bindings/{kotlin,swift,python}, with the library beside
# them (stripped for release). The library carries two
# uniffi components, the `Doorstep` object (bindings/uniffi.toml) and core's model
# (core/uniffi.toml):
#   kotlin/org/doorstep/core/doorstep_ffi.kt, kotlin/org/doorstep/core/model/doorstep_core.kt
#   swift/DoorstepCore.swift, swift/DoorstepModel.swift, their two headers and one
#     module.modulemap for the C module DoorstepCoreFFI
#   python/doorstep/ (the package `doorstep`: both modules and the library)
# Usage: scripts/gen-bindings.sh [debug|release]   (default: debug)
set -euo pipefail
cd "$(dirname "$0")/.."
profile="${1:-debug}"
flag=""
[ "$profile" = release ] && flag="--release"
cargo build -q -p doorstep-ffi --lib $flag
cargo build -q -p doorstep-ffi --features cli --bins
build="${CARGO_TARGET_DIR:-target}"
lib="$build/$profile/libdoorstep_ffi.so"
[ -f "$lib" ] || lib="$build/$profile/libdoorstep_ffi.dylib"
# Bindings always land in this checkout's target/, wherever cargo builds.
out=target/bindings
rm -rf "$out"
"$build/debug/uniffi-bindgen" generate --library "$lib" --language kotlin --out-dir "$out/kotlin" --no-format >/dev/null
"$build/debug/uniffi-bindgen-swift" --swift-sources --headers --modulemap \
  --module-name DoorstepCoreFFI --modulemap-filename module.modulemap "$lib" "$out/swift" >/dev/null
py="$out/python/doorstep"
"$build/debug/uniffi-bindgen" generate --library "$lib" --language python --out-dir "$py" --no-format >/dev/null
cat >"$py/__init__.py" <<'PY'
"""Doorstep for Python: the `Doorstep` object and core's model in one module."""
from .doorstep_core import *  # noqa: F401,F403
from .doorstep_ffi import *  # noqa: F401,F403
PY
# uniffi-bindgen reads the metadata from the library's symbol table, which the release
# profile keeps; the copies beside the bindings are stripped of it, as the apps ship it.
name=$(basename "$lib")
if [ "$profile" = release ]; then
  case "$name" in
    *.dylib) strip -x -o "$out/$name" "$lib" ;;
    *) strip --strip-all -o "$out/$name" "$lib" ;;
  esac
else
  cp "$lib" "$out/"
fi
# The Python modules load the library from their own folder.
cp "$out/$name" "$py/"
echo "bindings in $out (library $(basename "$lib"), $profile)"

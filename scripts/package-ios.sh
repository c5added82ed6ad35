#!/usr/bin/env bash
# On a Mac: builds libdoorstep_ffi as a static library for iOS devices, the iOS simulator
# and macOS (Apple silicon), wraps the three with the generated C headers into
# ios/Frameworks/DoorstepCoreFFI.xcframework (which ios/Package.swift uses on Apple
# platforms), and copies the generated Swift into ios/Sources/DoorstepCore.
# Needs Xcode and: rustup target add aarch64-apple-ios aarch64-apple-ios-sim aarch64-apple-darwin
# Usage: scripts/package-ios.sh [debug|release]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname)" = Darwin ] || { echo "scripts/package-ios.sh needs macOS with Xcode" >&2; exit 1; }
profile="${1:-release}"
flag=""
[ "$profile" = release ] && flag="--release"
# The headers and the Swift come from the host's library; every slice exports the same.
scripts/gen-bindings.sh "$profile"
build="${CARGO_TARGET_DIR:-target}"
targets=(aarch64-apple-ios aarch64-apple-ios-sim aarch64-apple-darwin)
for t in "${targets[@]}"; do
  cargo build -q -p doorstep-ffi --lib $flag --target "$t"
done
out=ios/Frameworks
headers="$build/xcframework-headers"
rm -rf "$out/DoorstepCoreFFI.xcframework" "$headers"
mkdir -p "$out" "$headers"
cp target/bindings/swift/doorstep_ffiFFI.h target/bindings/swift/doorstep_coreFFI.h \
  target/bindings/swift/module.modulemap "$headers/"
args=()
for t in "${targets[@]}"; do
  args+=(-library "$build/$t/$profile/libdoorstep_ffi.a" -headers "$headers")
done
xcodebuild -create-xcframework "${args[@]}" -output "$out/DoorstepCoreFFI.xcframework"
mkdir -p ios/Sources/DoorstepCore
cp target/bindings/swift/DoorstepCore.swift target/bindings/swift/DoorstepModel.swift ios/Sources/DoorstepCore/
echo "ios/Frameworks/DoorstepCoreFFI.xcframework ($profile) and ios/Sources/DoorstepCore are ready"

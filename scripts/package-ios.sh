#!/usr/bin/env bash
# Makes the Doorstep Swift package for Apple platforms:
#   target/package/ios/DoorstepCoreFFI.xcframework   device (arm64) and simulator
#     (arm64 + x86_64) slices of the static library, with the C headers and module map
#   target/package/ios/Doorstep/   a Swift package: Package.swift with the XCFramework as
#     a binaryTarget, and the generated Swift sources as the target DoorstepCore
#   target/package/ios/DoorstepCoreFFI.xcframework.zip and its SwiftPM checksum, for a
#     binaryTarget(url:checksum:) when the zip is published
# Needs macOS with Xcode (xcodebuild) and Rust's iOS targets; refuses in one line without.
# Usage: scripts/package-ios.sh
set -euo pipefail
cd "$(dirname "$0")/.."

refuse() { echo "package-ios.sh: $*" >&2; exit 2; }

[ "$(uname -s)" = Darwin ] ||
  refuse "needs macOS with Xcode; this is $(uname -s), so nothing was built"
xcodebuild -version >/dev/null 2>&1 ||
  refuse "xcodebuild is missing (install Xcode and run xcode-select); nothing was built"
targets="aarch64-apple-ios aarch64-apple-ios-sim x86_64-apple-ios"
installed="$(rustup target list --installed 2>/dev/null || true)"
for t in $targets; do
  grep -qx "$t" <<<"$installed" ||
    refuse "Rust's $t target is missing (rustup target add $targets); nothing was built"
done

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
build="${CARGO_TARGET_DIR:-target}"
out=target/package/ios
rm -rf "$out"
mkdir -p "$out/headers" "$out/sim"

for t in $targets; do
  cargo build --release -p doorstep-ffi --lib --target "$t"
done
# One simulator slice holds both simulator architectures.
lipo -create "$build/aarch64-apple-ios-sim/release/libdoorstep_ffi.a" \
  "$build/x86_64-apple-ios/release/libdoorstep_ffi.a" -output "$out/sim/libdoorstep_ffi.a"

# Swift sources, headers and module map, from the host's build (they do not depend on it).
scripts/gen-bindings.sh release >/dev/null
cp target/bindings/swift/*.h target/bindings/swift/module.modulemap "$out/headers/"
xcodebuild -create-xcframework \
  -library "$build/aarch64-apple-ios/release/libdoorstep_ffi.a" -headers "$out/headers" \
  -library "$out/sim/libdoorstep_ffi.a" -headers "$out/headers" \
  -output "$out/DoorstepCoreFFI.xcframework" >/dev/null

pkg="$out/Doorstep"
mkdir -p "$pkg/Sources/DoorstepCore"
cp target/bindings/swift/*.swift "$pkg/Sources/DoorstepCore/"
cp -R "$out/DoorstepCoreFFI.xcframework" "$pkg/"
cat >"$pkg/Package.swift" <<SWIFT
// swift-tools-version:5.9
// Doorstep $version for iOS, made by scripts/package-ios.sh: the Rust core as an
// XCFramework (binaryTarget) and its generated Swift bindings as the module DoorstepCore.
import PackageDescription

let package = Package(
    name: "Doorstep",
    platforms: [.iOS(.v15)],
    products: [
        .library(name: "Doorstep", targets: ["DoorstepCore"]),
    ],
    targets: [
        .binaryTarget(name: "DoorstepCoreFFI", path: "DoorstepCoreFFI.xcframework"),
        .target(name: "DoorstepCore", dependencies: ["DoorstepCoreFFI"], path: "Sources/DoorstepCore"),
    ]
)
SWIFT

(cd "$out" && ditto -c -k --sequesterRsrc --keepParent DoorstepCoreFFI.xcframework DoorstepCoreFFI.xcframework.zip)
checksum="$(swift package compute-checksum "$out/DoorstepCoreFFI.xcframework.zip")"
echo "$checksum" >"$out/DoorstepCoreFFI.xcframework.zip.checksum"
echo "Swift package in $pkg; DoorstepCoreFFI.xcframework.zip checksum $checksum"

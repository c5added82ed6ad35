#!/usr/bin/env bash
# On a Mac: builds libdoorstep_ffi as a static library for iOS devices, the iOS simulator
# and macOS (Apple silicon), wraps the three with the generated C headers into
# ios/Frameworks/DoorstepCoreFFI.xcframework (which ios/Package.swift uses on Apple
# platforms as a binaryTarget), and copies the generated Swift into ios/Sources/DoorstepCore.
# It also zips the XCFramework into target/package/ios/ with its SwiftPM checksum, for a
# binaryTarget(url:checksum:) when the zip is published.
# Needs Xcode and: rustup target add aarch64-apple-ios aarch64-apple-ios-sim aarch64-apple-darwin
# Refuses in one line where any of them is missing, as on Linux.
# Usage: scripts/package-ios.sh [debug|release]   (default: release)
set -euo pipefail
cd "$(dirname "$0")/.."

refuse() { echo "package-ios.sh: $*" >&2; exit 2; }

[ "$(uname -s)" = Darwin ] ||
  refuse "needs macOS with Xcode; this is $(uname -s), so nothing was built"
xcodebuild -version >/dev/null 2>&1 ||
  refuse "xcodebuild is missing (install Xcode and run xcode-select); nothing was built"
targets=(aarch64-apple-ios aarch64-apple-ios-sim aarch64-apple-darwin)
installed="$(rustup target list --installed 2>/dev/null || true)"
for t in "${targets[@]}"; do
  grep -qx "$t" <<<"$installed" ||
    refuse "Rust's $t target is missing (rustup target add ${targets[*]}); nothing was built"
done

profile="${1:-release}"
flag=""
[ "$profile" = release ] && flag="--release"
# The headers and the Swift come from the host's library; every slice exports the same.
scripts/gen-bindings.sh "$profile"
build="${CARGO_TARGET_DIR:-target}"
for t in "${targets[@]}"; do
  cargo rustc -q -p doorstep-ffi --lib $flag --target "$t" --crate-type staticlib
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

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
dist=target/package/ios
mkdir -p "$dist"
zip="$dist/DoorstepCoreFFI-$version.xcframework.zip"
rm -f "$zip"
(cd "$out" && ditto -c -k --sequesterRsrc --keepParent DoorstepCoreFFI.xcframework "$OLDPWD/$zip")
checksum="$(swift package compute-checksum "$zip")"
echo "$checksum" >"$zip.checksum"
echo "ios/Frameworks/DoorstepCoreFFI.xcframework ($profile) and ios/Sources/DoorstepCore are ready;"
echo "$zip, SwiftPM checksum $checksum"

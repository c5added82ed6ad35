#!/usr/bin/env bash
# Lays out the Doorstep SDK as an Android library module and zips it:
#   target/package/android/doorstep-sdk-<version>/
#     AndroidManifest.xml, build.gradle.kts, consumer-rules.pro
#     jniLibs/{arm64-v8a,armeabi-v7a,x86_64}/libdoorstep_ffi.so   (cargo-ndk, release)
#     kotlin/   the generated bindings (org.doorstep.core, org.doorstep.core.model) and the
#               services (org.doorstep.sdk)
# `gradle assembleRelease` in that folder (AGP 8) makes the AAR. Needs the Android NDK
# (ANDROID_NDK_HOME), cargo-ndk and Rust's Android targets; refuses in one line without.
# Usage: scripts/package-android.sh
set -euo pipefail
cd "$(dirname "$0")/.."

refuse() { echo "package-android.sh: $*" >&2; exit 2; }

ndk="${ANDROID_NDK_HOME:-${ANDROID_NDK_ROOT:-}}"
[ -n "$ndk" ] && [ -d "$ndk" ] ||
  refuse "no Android NDK here (set ANDROID_NDK_HOME to one, r26 or later); nothing was built"
cargo ndk --version >/dev/null 2>&1 ||
  refuse "cargo-ndk is missing (cargo install cargo-ndk); nothing was built"
targets="aarch64-linux-android armv7-linux-androideabi x86_64-linux-android"
installed="$(rustup target list --installed 2>/dev/null || true)"
for t in $targets; do
  grep -qx "$t" <<<"$installed" ||
    refuse "Rust's $t target is missing (rustup target add $targets); nothing was built"
done

version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)"
out="target/package/android/doorstep-sdk-$version"
rm -rf "$out"
mkdir -p "$out/jniLibs" "$out/kotlin"

# The release libraries keep their symbol tables (uniffi-bindgen reads them); the Android
# Gradle plugin strips them when an app is packaged.
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 -o "$out/jniLibs" \
  build --release -p doorstep-ffi --lib

# The bindings do not depend on the ABI: they are generated from the host's build.
scripts/gen-bindings.sh release >/dev/null
cp -R target/bindings/kotlin/. "$out/kotlin/"
cp -R android/sdk/src/main/kotlin/. "$out/kotlin/"
cp android/sdk/consumer-rules.pro "$out/"

cat >"$out/AndroidManifest.xml" <<'XML'
<?xml version="1.0" encoding="utf-8"?>
<manifest xmlns:android="http://schemas.android.com/apk/res/android" />
XML
cat >"$out/build.gradle.kts" <<KTS
// Made by scripts/package-android.sh for Doorstep $version: \`gradle assembleRelease\`
// writes build/outputs/aar/.
plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
}

android {
    namespace = "org.doorstep.sdk"
    compileSdk = 34
    defaultConfig {
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }
    sourceSets["main"].apply {
        manifest.srcFile("AndroidManifest.xml")
        java.srcDirs("kotlin")
        jniLibs.srcDirs("jniLibs")
    }
}

dependencies {
    implementation("net.java.dev.jna:jna:5.17.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
}
KTS

for abi in arm64-v8a armeabi-v7a x86_64; do
  [ -f "$out/jniLibs/$abi/libdoorstep_ffi.so" ] || { echo "package-android.sh: no $abi library was made" >&2; exit 1; }
done
(cd "$(dirname "$out")" && rm -f "$(basename "$out").zip" && zip -qr "$(basename "$out").zip" "$(basename "$out")")
echo "Android library module in $out (and $out.zip)"

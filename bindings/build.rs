//! Link options for the phone library.

fn main() {
    let target = std::env::var("TARGET").unwrap_or_default();
    // Relative relocations (mostly OpenSSL's tables of function pointers) take 700 KB
    // as RELA entries and a few KB packed as RELR. glibc 2.36+ loads RELR; Android
    // builds get the same from the NDK's `--pack-dyn-relocs=relr` (API 28+).
    if target.ends_with("-linux-gnu") {
        println!("cargo:rustc-cdylib-link-arg=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}

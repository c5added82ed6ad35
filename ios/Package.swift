// swift-tools-version:5.9
// Doorstep for Swift: the uniffi-generated bindings over the Rust core (libdoorstep_ffi).
//
// The generated sources are not committed. `tests/swift/run.sh` (or, by hand,
// `scripts/gen-bindings.sh` and then the copy step in run.sh) puts them here:
//   Sources/doorstep_ffiFFI/doorstep_ffiFFI.h      <- target/bindings/swift/doorstep_ffiFFI.h
//   Sources/doorstep_ffiFFI/module.modulemap       <- target/bindings/swift/doorstep_ffiFFI.modulemap
//   Sources/Doorstep/doorstep_ffi.swift            <- target/bindings/swift/doorstep_ffi.swift
// and links against libdoorstep_ffi.so in DOORSTEP_FFI_LIB_DIR (default: ../target/bindings).
import PackageDescription

let ffiLibDir = Context.environment["DOORSTEP_FFI_LIB_DIR"]
    ?? (Context.packageDirectory + "/../target/bindings")

let package = Package(
    name: "Doorstep",
    products: [
        .library(name: "Doorstep", targets: ["Doorstep"]),
    ],
    targets: [
        // C declarations of the cdylib's scaffolding functions (header + module map from uniffi).
        .systemLibrary(name: "doorstep_ffiFFI", path: "Sources/doorstep_ffiFFI"),
        .target(
            name: "Doorstep",
            dependencies: ["doorstep_ffiFFI"],
            path: "Sources/Doorstep",
            linkerSettings: [
                .linkedLibrary("doorstep_ffi"),
                .unsafeFlags(["-L", ffiLibDir, "-Xlinker", "-rpath", "-Xlinker", ffiLibDir]),
            ]
        ),
        .testTarget(
            name: "DoorstepTests",
            dependencies: ["Doorstep"],
            path: "Tests/DoorstepTests"
        ),
    ]
)

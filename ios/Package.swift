// swift-tools-version:5.9
// Doorstep for Swift: the uniffi-generated bindings over the Rust core (libdoorstep_ffi), as
// the module DoorstepCore in the product Doorstep. Version 0.2.0, the workspace's (released as
// the git tag 0.2.0).
//
// The generated sources are not committed. `tests/swift/run.sh` (or, by hand,
// `scripts/gen-bindings.sh` and then the copy step in run.sh) puts them here:
//   Sources/DoorstepCoreFFI/{doorstep_ffiFFI.h, doorstep_coreFFI.h, module.modulemap}
//   Sources/DoorstepCore/{DoorstepCore.swift, DoorstepModel.swift}
// from target/bindings/swift, and links against libdoorstep_ffi.so in DOORSTEP_FFI_LIB_DIR
// (default: ../target/bindings). scripts/package-ios.sh makes the XCFramework and the
// binaryTarget package for Apple platforms.
import PackageDescription

let ffiLibDir = Context.environment["DOORSTEP_FFI_LIB_DIR"]
    ?? (Context.packageDirectory + "/../target/bindings")

let package = Package(
    name: "Doorstep",
    products: [
        .library(name: "Doorstep", targets: ["DoorstepCore"]),
    ],
    targets: [
        // C declarations of the cdylib's scaffolding functions (headers + module map from uniffi).
        .systemLibrary(name: "DoorstepCoreFFI", path: "Sources/DoorstepCoreFFI"),
        .target(
            name: "DoorstepCore",
            dependencies: ["DoorstepCoreFFI"],
            path: "Sources/DoorstepCore",
            linkerSettings: [
                .linkedLibrary("doorstep_ffi"),
                .unsafeFlags(["-L", ffiLibDir, "-Xlinker", "-rpath", "-Xlinker", ffiLibDir]),
            ]
        ),
        .testTarget(
            name: "DoorstepTests",
            dependencies: ["DoorstepCore"],
            path: "Tests/DoorstepTests"
        ),
    ]
)

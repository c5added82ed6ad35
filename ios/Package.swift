// swift-tools-version:5.9
// Doorstep for Swift. The products:
//   Doorstep          DoorstepCore: the uniffi-generated bindings over the Rust core
//                     (libdoorstep_ffi)
//   DoorstepKit       the services, the only code that calls the bindings
//   DoorstepFeatures  one view model per screen, plain Swift (built and tested on Linux)
//   DoorstepUI        the SwiftUI views, Keychain key, camera scanner and background sync
//                     (Apple platforms only; on Linux the target compiles to nothing)
// The app target that links them is in project.yml (XcodeGen); see README.md.
// Version 0.2.0, the workspace's (released as the git tag 0.2.0).
//
// The generated sources are not committed. `tests/swift/run.sh` (or, by hand,
// `scripts/gen-bindings.sh` and then the copy step in run.sh) puts them here:
//   Sources/DoorstepCoreFFI/{doorstep_ffiFFI.h, doorstep_coreFFI.h, module.modulemap}
//   Sources/DoorstepCore/{DoorstepCore.swift, DoorstepModel.swift}
// from target/bindings/swift, and links against libdoorstep_ffi.so in DOORSTEP_FFI_LIB_DIR
// (default: ../target/bindings). On a Mac, scripts/package-ios.sh builds the static
// libraries into Frameworks/DoorstepCoreFFI.xcframework (headers and module map inside),
// which takes the place of the C module there.
import PackageDescription

let ffiLibDir = Context.environment["DOORSTEP_FFI_LIB_DIR"]
    ?? (Context.packageDirectory + "/../target/bindings")

#if os(Linux)
let ffi: Target = .systemLibrary(name: "DoorstepCoreFFI", path: "Sources/DoorstepCoreFFI")
let coreLinking: [LinkerSetting] = [
    .linkedLibrary("doorstep_ffi"),
    .unsafeFlags(["-L", ffiLibDir, "-Xlinker", "-rpath", "-Xlinker", ffiLibDir]),
]
// The string catalogs are compiled by Xcode's tools, which Linux lacks; the Linux suite
// reads them as JSON instead (StringsTests).
let uiResources: [Resource] = []
let uiExclude = ["Resources"]
#else
let ffi: Target = .binaryTarget(name: "DoorstepCoreFFI", path: "Frameworks/DoorstepCoreFFI.xcframework")
let coreLinking: [LinkerSetting] = []
let uiResources: [Resource] = [.process("Resources")]
let uiExclude: [String] = []
#endif

let package = Package(
    name: "Doorstep",
    defaultLocalization: "zh-Hans",
    platforms: [.iOS(.v17), .macOS(.v14)],
    products: [
        .library(name: "Doorstep", targets: ["DoorstepCore"]),
        .library(name: "DoorstepKit", targets: ["DoorstepKit"]),
        .library(name: "DoorstepFeatures", targets: ["DoorstepFeatures"]),
        .library(name: "DoorstepUI", targets: ["DoorstepUI"]),
    ],
    targets: [
        // C declarations of the library's scaffolding functions (headers + module map from uniffi).
        ffi,
        .target(
            name: "DoorstepCore",
            dependencies: ["DoorstepCoreFFI"],
            path: "Sources/DoorstepCore",
            linkerSettings: coreLinking
        ),
        .target(name: "DoorstepKit", dependencies: ["DoorstepCore"]),
        // Debian's libswiftObservation.so leaves one runtime symbol undefined; this supplies
        // it on Linux and is empty elsewhere.
        .target(name: "LinuxObservationFix"),
        .target(name: "DoorstepFeatures", dependencies: ["DoorstepKit", "LinuxObservationFix"]),
        .target(
            name: "DoorstepUI",
            dependencies: ["DoorstepFeatures", "DoorstepKit"],
            exclude: uiExclude,
            resources: uiResources
        ),
        .testTarget(
            name: "DoorstepTests",
            dependencies: ["DoorstepCore"],
            path: "Tests/DoorstepTests"
        ),
        .testTarget(
            name: "DoorstepFeaturesTests",
            dependencies: ["DoorstepFeatures", "DoorstepKit", "DoorstepCore"],
            path: "Tests/DoorstepFeaturesTests"
        ),
    ]
)

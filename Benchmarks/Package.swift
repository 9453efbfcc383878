// swift-tools-version:6.0
// Benchmarks for swift-caffe2, kept out of the main package so its build stays free of them.
//
//   cd Benchmarks && swift run -c release caffe2-bench all
//
// Every figure is a median over repeated runs and is printed beside a baseline
// measured in the same run (a plain C loop compiled -O3 -march=native, protobuf-c's
// raw unpack, ...). docs/benchmarks.md records the results.
import Foundation
import PackageDescription

// A path dependency's identity is its folder name, which depends on where the repository was cloned.
let rootIdentity = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent
    .lowercased()

let package = Package(
    name: "swift-caffe2-benchmarks",
    dependencies: [
        .package(path: "..")
    ],
    targets: [
        // The baseline loops. unsafeFlags are fine here: this package is never a dependency.
        .target(
            name: "CBaseline",
            cSettings: [.unsafeFlags(["-O3", "-march=native"])]
        ),
        .executableTarget(
            name: "caffe2-bench",
            dependencies: [
                "CBaseline",
                .product(name: "Caffe2", package: rootIdentity),
            ]
        ),
    ]
)

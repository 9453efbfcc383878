// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-caffe2",
    products: [
        .library(name: "Caffe2", targets: ["Caffe2"]),
        .executable(name: "caffe2", targets: ["caffe2"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-numerics.git", from: "1.0.0"),
    ],
    targets: [
        // libprotobuf-c from the system (Debian: libprotobuf-c-dev).
        .systemLibrary(
            name: "CProtobufC",
            pkgConfig: "libprotobuf-c",
            providers: [.apt(["libprotobuf-c-dev"])]
        ),
        // OpenBLAS from the system (Debian: libopenblas-dev) for matrix products.
        .systemLibrary(
            name: "COpenBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // zlib from the system (Debian: zlib1g-dev), for reading gzip-compressed IDX files (MNIST).
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Hot element-wise loops compiled per instruction set (AVX-512 / AVX2 / baseline),
        // picked at load time; see Sources/CKernels/include/CKernels.h.
        .target(name: "CKernels"),
        // protoc-c output for Protos/caffe2.proto; regenerate with Scripts/generate-protos.sh.
        .target(name: "CCaffe2Proto", dependencies: ["CProtobufC"]),
        .target(
            name: "Caffe2",
            dependencies: [
                "CCaffe2Proto",
                "COpenBLAS",
                "CZlib",
                "CKernels",
                .product(name: "RealModule", package: "swift-numerics"),
            ]
        ),
        .executableTarget(
            name: "caffe2",
            dependencies: [
                "Caffe2",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Examples that embed the library; built by CI with everything else.
        .executableTarget(name: "embed-reciprocal", dependencies: ["Caffe2"], path: "Examples/EmbedReciprocal"),
        .executableTarget(name: "train-mnist", dependencies: ["Caffe2"], path: "Examples/TrainMNIST"),
        // Test data under Tests/Caffe2Tests/Data is read by path from the package root.
        .testTarget(name: "Caffe2Tests", dependencies: ["Caffe2"], exclude: ["Data"]),
    ]
)

// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "comfy-pipes",
  products: [
    .library(name: "PipeKit", targets: ["PipeKit"]),
    .executable(name: "cuda-detect", targets: ["cuda-detect"]),
    .executable(name: "tensor-pack", targets: ["tensor-pack"]),
  ],
  targets: [
    .target(name: "CPipeShims"),
    .target(name: "PipeKit", dependencies: ["CPipeShims"], linkerSettings: [.linkedLibrary("m")]),
    .executableTarget(name: "cuda-detect", dependencies: ["PipeKit"]),
    .target(name: "WheelURL", dependencies: ["PipeKit"]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    .executableTarget(name: "tensor-pack", dependencies: ["PipeKit", "CZlib"]),
    .executableTarget(name: "RecordEcho", dependencies: ["PipeKit"], path: "Tests/Fixtures/RecordEcho"),
    .target(name: "TestSupport", dependencies: ["PipeKit"], path: "Tests/TestSupport"),
    .testTarget(name: "PipeKitTests", dependencies: ["PipeKit", "TestSupport", "RecordEcho"]),
    .testTarget(name: "cuda-detectTests", dependencies: ["cuda-detect", "PipeKit", "TestSupport"]),
    .testTarget(name: "WheelURLTests", dependencies: ["WheelURL", "PipeKit"]),
    .testTarget(
      name: "tensor-packTests", dependencies: ["tensor-pack", "PipeKit", "TestSupport"], exclude: ["Fixtures"]),
  ]
)

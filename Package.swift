// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "comfy-pipes",
  products: [
    .library(name: "PipeKit", targets: ["PipeKit"]),
    .executable(name: "cuda-detect", targets: ["cuda-detect"]),
    .executable(name: "wheel-url", targets: ["wheel-url"]),
    .executable(name: "tensor-pack", targets: ["tensor-pack"]),
    .executable(name: "venv-make", targets: ["venv-make"]),
    .executable(name: "node-run", targets: ["node-run"]),
    .executable(name: "remote-queue", targets: ["remote-queue"]),
    .executable(name: "remote-fetch", targets: ["remote-fetch"]),
  ],
  targets: [
    .target(name: "CPipeShims"),
    .target(name: "PipeKit", dependencies: ["CPipeShims"], linkerSettings: [.linkedLibrary("m")]),
    .executableTarget(name: "cuda-detect", dependencies: ["PipeKit"]),
    .target(name: "CPipeCurl", linkerSettings: [.linkedLibrary("dl")]),
    .target(name: "PipeHTTP", dependencies: ["PipeKit", "CPipeCurl"]),
    .target(name: "WheelURL", dependencies: ["PipeKit", "PipeHTTP"], resources: [.embedInCode("registry.json")]),
    .executableTarget(name: "wheel-url", dependencies: ["WheelURL", "PipeHTTP", "PipeKit"]),
    .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
    .executableTarget(name: "tensor-pack", dependencies: ["PipeKit", "CZlib"]),
    .executableTarget(
      name: "venv-make", dependencies: ["WheelURL", "PipeHTTP", "PipeKit"],
      resources: [.embedInCode("inspect_env.py"), .embedInCode("verify_env.py")]),
    .executableTarget(
      name: "node-run", dependencies: ["PipeKit"],
      exclude: ["comfy_pipes/__init__.py", "comfy_pipes/install.py"],
      resources: [
        .embedInCode("node_run_worker.py"), .embedInCode("comfy_pipes/host.py"), .embedInCode("comfy_pipes/segment.py"),
      ]),
    .target(name: "ComfyRemote", dependencies: ["PipeKit", "PipeHTTP"]),
    .executableTarget(name: "remote-queue", dependencies: ["ComfyRemote", "PipeKit", "PipeHTTP"]),
    .executableTarget(name: "remote-fetch", dependencies: ["ComfyRemote", "PipeKit", "PipeHTTP"]),
    .executableTarget(name: "RecordEcho", dependencies: ["PipeKit"], path: "Tests/Fixtures/RecordEcho"),
    .target(name: "TestSupport", dependencies: ["PipeKit"], path: "Tests/TestSupport"),
    .testTarget(name: "PipeKitTests", dependencies: ["PipeKit", "TestSupport", "RecordEcho"]),
    .testTarget(name: "cuda-detectTests", dependencies: ["cuda-detect", "PipeKit", "TestSupport"]),
    .testTarget(name: "PipeHTTPTests", dependencies: ["PipeHTTP", "PipeKit", "TestSupport"]),
    .testTarget(
      name: "WheelURLTests",
      dependencies: ["WheelURL", "PipeHTTP", "PipeKit", "TestSupport", "wheel-url", "cuda-detect"]),
    .testTarget(
      name: "tensor-packTests", dependencies: ["tensor-pack", "PipeKit", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(
      name: "FuzzTests",
      dependencies: ["PipeKit", "PipeHTTP", "WheelURL", "tensor-pack", "ComfyRemote", "remote-fetch", "node-run"],
      exclude: ["corpus", "regressions"]),
    .testTarget(
      name: "venv-makeTests", dependencies: ["venv-make", "wheel-url", "cuda-detect", "PipeKit", "TestSupport"]),
    .testTarget(
      name: "node-runTests", dependencies: ["node-run", "tensor-pack", "PipeKit", "TestSupport"], exclude: ["Fixtures"]),
    .testTarget(name: "ComfyRemoteTests", dependencies: ["ComfyRemote", "PipeKit", "TestSupport"]),
    .target(
      name: "ComfyFakes", dependencies: ["ComfyRemote", "PipeHTTP", "PipeKit", "TestSupport"], path: "Tests/ComfyFakes"),
    .testTarget(
      name: "remote-queueTests", dependencies: ["remote-queue", "ComfyRemote", "PipeKit", "TestSupport", "ComfyFakes"]),
    .testTarget(
      name: "remote-fetchTests", dependencies: ["remote-fetch", "PipeHTTP", "PipeKit", "TestSupport", "ComfyFakes"]),
  ]
)

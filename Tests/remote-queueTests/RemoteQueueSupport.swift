@_exported import ComfyFakes
import ComfyRemote
import PipeHTTP
import PipeKit
import TestSupport

#if canImport(Glibc)
  import Glibc
#endif

/// Runs remote-queue with no `COMFY_REMOTE` from the test's own environment.
func remoteQueue(_ arguments: [String], input: String? = nil, environment: [String: String?] = [:]) throws
  -> CapturedRun
{
  var env: [String: String?] = ["COMFY_REMOTE": nil]
  for (key, value) in environment { env[key] = value }
  return try Products.run("remote-queue", arguments, input: input, environment: env)
}

func line(_ record: JSON) -> String { record.serialized + "\n" }

/// §3 W3: seed-dependent output; node 2 is titled "Noise".
func noiseWorkflow(seed: Int = 42, prefix: String = "rq_test/noise") -> JSON {
  [
    "1": ["class_type": "EmptyImage", "inputs": ["width": 16, "height": 16, "batch_size": 1, "color": 8_421_504]],
    "2": [
      "class_type": "ImageAddNoise", "inputs": ["image": ["1", 0], "seed": .int(seed), "strength": 0.5],
      "_meta": ["title": "Noise"],
    ],
    "3": ["class_type": "SaveImage", "inputs": ["images": ["2", 0], "filename_prefix": .string(prefix)]],
  ]
}

/// A slow output node for cancel tests.
func sleepWorkflow(seconds: Double = 10) -> JSON {
  ["1": ["class_type": "FakeSleep", "inputs": ["seconds": .double(seconds)]]]
}

extension JSONObject {
  /// A node input of a carried prompt.
  func input(_ node: String, _ name: String) -> JSON? { self["prompt"]?[node]?["inputs"]?[name] }
}

@_exported import ComfyFakes
import Foundation
import PipeKit
import TestSupport

enum Workflows {
  /// W3: a seed-dependent PNG, saved under `rf/<prefix>`.
  static func noise(seed: Int, prefix: String) -> String {
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":32,"height":32,"batch_size":1,"color":8421504}},"#
      + #""2":{"class_type":"ImageAddNoise","inputs":{"image":["1",0],"seed":\#(seed),"strength":0.5}},"#
      + #""3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"rf/\#(prefix)"}}}"#
  }

  /// A PNG and a `.latent` from one prompt, plus a text output that is not a file.
  static func imageAndLatent(width: Int, prefix: String) -> String {
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":\#(width),"height":16,"batch_size":1,"color":255}},"#
      + #""2":{"class_type":"SaveImage","inputs":{"images":["1",0],"filename_prefix":"rf/\#(prefix)"}},"#
      + #""3":{"class_type":"EmptyLatentImage","inputs":{"width":\#(width),"height":64,"batch_size":1}},"#
      + #""4":{"class_type":"SaveLatent","inputs":{"samples":["3",0],"filename_prefix":"rf/\#(prefix)"}},"#
      + #""5":{"class_type":"PrimitiveString","inputs":{"value":"hello"}},"#
      + #""6":{"class_type":"PreviewAny","inputs":{"source":["5",0]}}}"#
  }

  /// FakeSleep before SaveImage: a job that takes `seconds`.
  static func slow(_ seconds: Double, prefix: String, progress: Bool = true) -> String {
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":\#(Int.random(in: 0...0xFFFFFF))}},"#
      + #""2":{"class_type":"FakeSleep","inputs":{"seconds":\#(seconds),"image":["1",0],"progress":\#(progress)}},"#
      + #""3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"rf/\#(prefix)"}}}"#
  }

  static let failing =
    #"{"1":{"class_type":"EmptyImage","inputs":{"width":8,"height":8,"batch_size":1,"color":0}},"#
    + #""2":{"class_type":"FakeRaise","inputs":{"message":"planned failure","image":["1",0]}}}"#
}

/// A hostile server from `Tests/Fixtures/hostile_comfyui/` in one of its modes.
func hostileServer(_ mode: String, redirectTo: String? = nil) throws -> FixtureServer {
  try hostileComfy(mode, redirectTo: redirectTo)
}

/// Runs `body` on another thread after `delay` seconds.
func later(_ delay: Double, _ body: @escaping @Sendable () -> Void) {
  DispatchQueue.global().asyncAfter(deadline: .now() + delay, execute: body)
}

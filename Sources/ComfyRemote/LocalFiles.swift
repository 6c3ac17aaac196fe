import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// A local file that a loader node names, to be uploaded before the prompt is queued.
public struct LocalFile {
  public var node: String
  public var input: String
  public var path: String
  /// The name it is uploaded under: the file's own base name.
  public var name: String
  public var bytes: [UInt8]
  public var sha256: String
  /// Where the bytes were read from when not from `path` (remote-fetch --requeue: the first
  /// server's `/view` URL), for notes.
  public var source: String?

  public init(node: String, input: String, path: String, bytes: [UInt8], sha256: String? = nil) {
    self.node = node
    self.input = input
    self.path = path
    name = String(path.split(separator: "/").last ?? "")
    self.bytes = bytes
    self.sha256 = sha256 ?? SHA256.hex(bytes)
  }

  /// The content-addressed subfolder on the server: the same bytes always land in the same
  /// place, so a repeat costs one HEAD request and different files never collide.
  var subfolder: String { "comfy-pipes/\(sha256.prefix(32))" }

  /// The job record's `uploads` item for this file, uploaded as `uploaded`.
  func upload(_ uploaded: UploadedFile) -> UploadRecord {
    var absolute = path
    if !absolute.hasPrefix("/"), let cwd = getcwd(nil, 0) {
      absolute = String(cString: cwd) + "/" + path
      free(cwd)
    }
    return UploadRecord(
      node: node, input: input, path: absolute, sha256: sha256, name: uploaded.name, subfolder: uploaded.subfolder)
  }
}

/// Finds the file inputs of loader nodes (`LoadImage`, `LoadImageMask` and any class whose name
/// holds `Load`) that name a local file.
public enum LocalFiles {
  /// The annotations ComfyUI understands after a file name (`folder_paths.annotated_filepath`).
  static let annotations = [" [input]", " [output]", " [temp]"]

  /// The local files the prompt names. A value resolves under `inputDir` (or as an absolute
  /// path); one that names no local file is left for the server, as are `[output]` and
  /// `[temp]` names, which point at the server's own folders.
  public static func find(in prompt: JSONObject, inputDir: String?) throws(WorkflowProblem) -> [LocalFile] {
    var found: [LocalFile] = []
    for (id, value) in prompt {
      guard let classType = value["class_type"]?.stringValue, classType.contains("Load"),
        let inputs = value["inputs"]?.objectValue
      else { continue }
      for (input, literal) in inputs where !input.hasSuffix("_name") {
        guard case .string(let text) = literal, let path = localPath(text, inputDir: inputDir) else { continue }
        let bytes: [UInt8]
        do {
          let fd = try FileDescriptor.open(path, O_RDONLY)
          bytes = try fd.closeAfter { try $0.readAll() }
        } catch {
          throw WorkflowProblem(
            code: "unreadable-input", message: "node \(id) input \(input): cannot read \(path): \(error)",
            detail: ["node": .string(id), "input": .string(input), "path": .string(path)])
        }
        found.append(LocalFile(node: id, input: input, path: path, bytes: bytes))
      }
    }
    return found
  }

  /// The local regular file `value` names, or `nil`.
  static func localPath(_ value: String, inputDir: String?) -> String? {
    var name = value
    for annotation in annotations where name.hasSuffix(annotation) {
      guard annotation == " [input]" else { return nil }
      name.removeLast(annotation.count)
    }
    guard !name.isEmpty, !name.contains("://"), !name.contains("\0") else { return nil }
    let path: String
    if name.hasPrefix("/") {
      path = name
    } else {
      guard let inputDir else { return nil }
      let parts = name.split(separator: "/")
      guard !parts.contains("..") else { return nil }
      path = inputDir.hasSuffix("/") ? inputDir + name : inputDir + "/" + name
    }
    var info = stat()
    guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
    return path
  }

  /// The prompt with each found file's input pointing at its upload.
  static func rewrite(_ prompt: inout JSONObject, _ file: LocalFile, to uploaded: UploadedFile) {
    guard var node = prompt[file.node]?.objectValue, var inputs = node["inputs"]?.objectValue else { return }
    inputs[file.input] = .string(
      uploaded.type == "input" ? uploaded.reference : "\(uploaded.reference) [\(uploaded.type)]")
    node["inputs"] = .object(inputs)
    prompt[file.node] = .object(node)
  }
}

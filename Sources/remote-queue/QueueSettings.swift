import ComfyRemote
import PipeHTTP
import PipeKit

/// What remote-queue's command line asks for.
struct QueueSettings {
  var servers: [ServerAddress]
  /// `Name: value` lines.
  var headers: [String]
  var inputDir: String?
  var sets: [Override]
  var template: String?
  var count: Int
  var seedStep: Int64
  var clientID: String
  var carry: Bool
  var cancel: Bool
  var files: [String]
  var http = HTTPClient.Options()

  init(arguments: Arguments, environment: [String: String]) throws(UsageError) {
    servers = try RemoteOptions.servers(arguments, environment: environment)
    cancel = arguments.flag("--cancel")
    if servers.isEmpty && !cancel { throw UsageError("no server: give --to ADDRESS or set COMFY_REMOTE") }
    headers = try RemoteOptions.headers(arguments)
    inputDir = arguments.value("--input-dir")
    sets = []
    for text in arguments.values("--set") {
      do throws(UsageError) {
        sets.append(try Override(assignment: text))
      } catch {
        throw UsageError("--set \(error.message)")
      }
    }
    template = arguments.value("--template")
    count = 1
    if let text = arguments.value("--count") {
      guard let n = Int(text), n >= 1, n <= 100_000 else {
        throw UsageError("--count '\(text)' is not a count (1 or more)")
      }
      count = n
    }
    seedStep = 1
    if let text = arguments.value("--seed-step") {
      guard let k = Int64(text) else { throw UsageError("--seed-step '\(text)' is not an integer") }
      seedStep = k
    }
    clientID = arguments.value("--client-id") ?? UUID4.make()
    guard !clientID.isEmpty else { throw UsageError("--client-id is empty") }
    carry = !arguments.flag("--no-carry")
    files = arguments.positionals
    if cancel && (template != nil || !sets.isEmpty || !files.isEmpty || arguments.value("--count") != nil) {
      throw UsageError("--cancel reads job records from standard input and takes no workflows, --set or --template")
    }
    http = Self.httpDefaults
    try http.read(arguments)
  }

  /// Each request 30 s, connecting 5 s, 3 retries.
  static let httpDefaults: HTTPClient.Options = {
    var defaults = HTTPClient.Options()
    defaults.totalTimeout = 30
    defaults.connectTimeout = 5
    return defaults
  }()
}

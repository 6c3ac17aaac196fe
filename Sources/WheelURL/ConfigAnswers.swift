import PipeHTTP
import PipeKit

/// A config file's requests answered as `wheel` and `requirement` records, for tools that read
/// configs the way wheel-url does (venv-make's `--config`), without running wheel-url.
public struct ConfigAnswers: Sendable {
  /// The config's `python` (E1 `[env] python`, E3 top-level `python`), when it sets one.
  public var python: String?
  /// `wheel` and `requirement` records, in the config's order.
  public var records: [JSONObject] = []
  /// The requests that could not be answered, and a config that could not be read.
  public var errors: [ErrorRecord] = []
  /// Notes for stderr (unknown keys and the like).
  public var warnings: [String] = []

  /// Reads `path` and resolves its requests for the machine the `env` record describes.
  public static func resolve(config path: String, env: JSONObject?, offline: Bool = false) -> ConfigAnswers {
    var answers = ConfigAnswers()
    var wheelEnv: WheelEnv?
    if let env {
      do {
        wheelEnv = try WheelEnv(record: env)
      } catch {
        answers.errors.append(ErrorRecord(code: "bad-env", message: "env record: \(error.message)"))
      }
    }
    let platform = wheelEnv.map { ($0.os, $0.arch) } ?? WheelEnv.runningPlatform
    let file: ConfigFile
    do {
      file = try ConfigFile.load(path, platform: platform)
    } catch {
      answers.errors.append(error)
      return answers
    }
    answers.warnings = file.warnings.map { "\(path): \($0)" }
    answers.errors += file.errors.map(\.record)
    answers.python = file.entries.lazy.compactMap(\.settings.python).first
    let resolver = Resolver(pages: PageLoader(fetcher: Fetcher(client: HTTPClient(), offline: offline)))
    resolver.userSources = file.sources
    let pins = file.torchPins(env: wheelEnv)
    answers.warnings += pins.notes.map { "\(path): \($0)" }
    for entry in file.entries + pins.entries {
      do {
        switch resolver.resolve(try entry.request(file: path, env: wheelEnv), env: wheelEnv) {
        case .wheel(let record), .requirement(let record): answers.records.append(record)
        case .failure(let error): answers.errors.append(error)
        }
      } catch {
        answers.errors.append(error)
      }
    }
    return answers
  }
}

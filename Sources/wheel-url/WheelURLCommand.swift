import PipeHTTP
import PipeKit
import WheelURL

/// The command line of wheel-url.
enum WheelURLCommand {
  static let spec = CommandSpec(
    name: "wheel-url", version: pipeKitVersion,
    overview: "Turn package requests into exact prebuilt wheel URLs for the machine an env record describes.",
    usage: [
      "[--env FILE] [--config FILE] [--find-links URL] [--index URL] [--template NAME=URL] [options] [REQUIREMENT ...]"
    ],
    arguments: [
      ("REQUIREMENT", "A package to resolve, as pip writes it: nvdiffrast==0.4.0, pytorch3d>=0.7.8, transformers.")
    ],
    options: [
      OptionSpec(["--env"], value: "FILE", help: "Read the env record from FILE instead of standard input."),
      OptionSpec(
        ["--config"], value: "FILE",
        help: "Read requests and sources from a comfy-env.toml (E1 or E3 schema) or comfyui_env.toml; repeatable."),
      OptionSpec(
        ["--find-links"], value: "URL",
        help: "A page or directory of wheel links to search for every package; repeatable."),
      OptionSpec(
        ["--index"], value: "URL",
        help: "A PEP 503/691 simple index to search for every package (its pages are URL/NAME/); repeatable."),
      OptionSpec(
        ["--template"], value: "NAME=URL",
        help: "A wheel URL template for package NAME, tried before any other source; repeatable."),
      OptionSpec(
        ["--python-version", "--python"], value: "X.Y",
        help: "Choose wheels for this Python instead of the env's (--python: the older spelling)."),
      OptionSpec(
        ["--cuda"], value: "X.Y", help: "Choose wheels for this CUDA instead of the env's; 'none' for CPU wheels."),
      OptionSpec(
        ["--torch"], value: "VERSION", help: "Choose wheels for this torch instead of the env's; 'none' for no torch."),
      OptionSpec(["--no-registry"], help: "Do not use the built-in registry of CUDA packages."),
      OptionSpec(["--verify"], help: "Check that each chosen URL exists (HEAD, then a ranged GET)."),
      OptionSpec(["--offline"], help: "Never touch the network: only file:// URLs, directories and templates."),
    ] + HTTPClient.Options().optionSpecs(timeoutNames: ["--request-timeout", "--timeout"]) + [
      OptionSpec(["--quiet", "-q"], help: "Print no notes on stderr.")
    ])

  static func run(tool: Tool, arguments: Arguments) throws {
    let settings = try CommandSettings(arguments: arguments)
    let resolver = Resolver(
      pages: PageLoader(fetcher: Fetcher(client: HTTPClient(options: settings.http), offline: settings.offline)),
      registry: settings.useRegistry ? .builtin : Registry.empty)
    resolver.userSources = settings.sources
    resolver.templates = settings.templates
    resolver.verify = settings.verify
    resolver.note = { tool.diagnostics.note($0) }
    var session = Session(tool: tool, resolver: resolver, settings: settings)
    try session.run()
  }
}

/// What the command line asks for.
struct CommandSettings {
  var envFile: String?
  var configs: [String]
  var requests: [Request] = []
  var sources: [Source] = []
  var templates: [String: [Source]] = [:]
  var env = EnvSettings()
  var useRegistry: Bool
  var verify: Bool
  var offline: Bool
  var http = HTTPClient.Options()

  init(arguments: Arguments) throws(UsageError) {
    envFile = arguments.value("--env")
    configs = arguments.values("--config")
    useRegistry = !arguments.flag("--no-registry")
    verify = arguments.flag("--verify")
    offline = arguments.flag("--offline")
    for text in arguments.positionals {
      do {
        requests.append(try Request(text, origin: "argument"))
      } catch {
        throw UsageError(error.message)
      }
    }
    for (option, makeKind) in [
      ("--find-links", { Source.Kind.findLinks(url: $0) }), ("--index", { Source.Kind.index(url: $0, version: nil) }),
    ] as [(String, (String) -> Source.Kind)] {
      for text in arguments.values(option) {
        do {
          sources.append(Source(makeKind(try URLText.from(userInput: text)), name: option))
        } catch {
          throw UsageError("\(option) \(error.description)")
        }
      }
    }
    for text in arguments.values("--template") {
      guard let eq = text.firstIndex(of: "="), eq != text.startIndex, text.index(after: eq) != text.endIndex else {
        throw UsageError("--template '\(text)' is not NAME=URL")
      }
      let name = normalizedProjectName(String(text[..<eq]))
      let url = String(text[text.index(after: eq)...])
      guard isValidProjectName(name) else { throw UsageError("--template '\(text)': '\(name)' is not a project name") }
      let resolved: String
      do {
        resolved = try URLText.from(userInput: url)
      } catch {
        throw UsageError("--template \(error.description)")
      }
      templates[name, default: []].append(Source(.template(url: resolved, platforms: []), name: "--template"))
    }
    env = EnvSettings(
      python: arguments.value("--python-version"), cuda: arguments.value("--cuda"), torch: arguments.value("--torch"))
    do {
      try env.check()
    } catch {
      throw UsageError(error.message)
    }
    try http.read(arguments)
  }
}

/// One option a tool accepts.
public struct OptionSpec: Sendable {
  /// Spellings, long first: `["--output", "-o"]`.
  public var names: [String]
  /// The value's placeholder (`PATH`); `nil` for a flag that takes no value.
  public var value: String?
  public var help: String
  /// Not shown in `--help` (internal switches such as `--dump-options`).
  public var hidden: Bool

  public init(_ names: [String], value: String? = nil, help: String, hidden: Bool = false) {
    self.names = names
    self.value = value
    self.help = help
    self.hidden = hidden
  }

  public var name: String { names[0] }
}

/// What a tool's command line looks like: the source of both parsing and `--help`.
public struct CommandSpec: Sendable {
  public var name: String
  public var version: String
  public var overview: String
  /// Usage lines after the command name, e.g. `"[--python PATH] [--root DIR]"`.
  public var usage: [String]
  /// Positional arguments as `(placeholder, help)`.
  public var arguments: [(String, String)]
  public var options: [OptionSpec]
  /// Whether positional arguments are accepted at all.
  public var acceptsArguments: Bool

  public static let builtinOptions = [
    OptionSpec(["--version"], help: "Show the version and exit."),
    OptionSpec(["--help", "-h"], help: "Show help information and exit."),
    OptionSpec(["--dump-options"], help: "List the accepted options, one per line.", hidden: true),
  ]

  public init(
    name: String, version: String, overview: String, usage: [String], arguments: [(String, String)] = [],
    options: [OptionSpec]
  ) {
    self.name = name
    self.version = version
    self.overview = overview
    self.usage = usage
    self.arguments = arguments
    self.options = options
    self.acceptsArguments = !arguments.isEmpty
  }

  var allOptions: [OptionSpec] { options + CommandSpec.builtinOptions }

  /// The version as `--version` shows it: the kit's with its git commit (see `pipeKitVersionLine`).
  var versionLine: String { version == pipeKitVersion ? pipeKitVersionLine : version }
}

/// A bad command line: the message, rendered by the tool with a pointer to `--help`, exit 64.
public struct UsageError: Error, Sendable, Equatable {
  public var message: String
  public init(_ message: String) { self.message = message }
}

/// `--help` or `--version` was asked for: print this text to stdout and exit 0.
public struct EarlyExit: Error, Sendable {
  public var text: String
}

/// A parsed command line.
public struct Arguments: Sendable {
  public private(set) var positionals: [String] = []
  private var values: [String: [String]] = [:]
  /// The first name of every option in the spec, under which values are kept.
  private var known: Set<String> = []

  /// Whether a flag was given.
  public func flag(_ name: String) -> Bool { values[checked(name)] != nil }
  /// The last value given for an option.
  public func value(_ name: String) -> String? { values[checked(name)]?.last }
  /// Every value given for a repeatable option, in order.
  public func values(_ name: String) -> [String] { values[checked(name)] ?? [] }

  /// The value of option `name` as a positive, finite number of seconds; `nil` when not given.
  public func seconds(_ name: String) throws(UsageError) -> Double? {
    guard let text = value(name) else { return nil }
    guard let seconds = Double(text), seconds > 0, seconds.isFinite else {
      throw UsageError("\(name) takes a positive number of seconds (found '\(text)')")
    }
    return seconds
  }

  /// `name`, after a debug build's check that it is the first name of an option in the spec: a
  /// misspelt name, or another name of an option, would otherwise find nothing, silently.
  private func checked(_ name: String) -> String {
    assert(known.contains(name), "the tool asks for option '\(name)', which is not an option's first name in its spec")
    return name
  }

  /// Parses `argv` (without the program name) against `spec`. `--opt=value`, `--opt value`,
  /// `-o value` and `--` (end of options) are understood; `-` alone is an argument.
  public static func parse(_ argv: [String], spec: CommandSpec) throws -> Arguments {
    var result = Arguments()
    var lookup: [String: OptionSpec] = [:]
    for option in spec.allOptions { for name in option.names { lookup[name] = option } }
    result.known = Set(spec.allOptions.map(\.name))
    var index = 0
    var optionsEnded = false
    while index < argv.count {
      let word = argv[index]
      index += 1
      if optionsEnded || word == "-" || !word.hasPrefix("-") {
        guard spec.acceptsArguments else { throw UsageError("unexpected argument '\(word)'") }
        result.positionals.append(word)
        continue
      }
      if word == "--" {
        optionsEnded = true
        continue
      }
      var name = word
      var inline: String?
      if word.hasPrefix("--"), let eq = word.firstIndex(of: "=") {
        name = String(word[..<eq])
        inline = String(word[word.index(after: eq)...])
      }
      guard let option = lookup[name] else { throw UsageError("unknown option '\(name)'") }
      switch name {
      case "--help", "-h": throw EarlyExit(text: spec.helpText)
      case "--version": throw EarlyExit(text: "\(spec.name) \(spec.versionLine)\n")
      case "--dump-options":
        throw EarlyExit(text: spec.allOptions.flatMap(\.names).map { $0 + "\n" }.joined())
      default: break
      }
      if let placeholder = option.value {
        if let inline {
          result.values[option.name, default: []].append(inline)
        } else if index < argv.count {
          result.values[option.name, default: []].append(argv[index])
          index += 1
        } else {
          throw UsageError("option '\(name)' needs a value (\(placeholder))")
        }
      } else {
        if inline != nil { throw UsageError("option '\(name)' takes no value") }
        result.values[option.name, default: []].append("")
      }
    }
    return result
  }
}

extension CommandSpec {
  /// The `--help` text, in one skeleton for every tool: OVERVIEW, USAGE, ARGUMENTS, OPTIONS.
  public var helpText: String {
    var text = HelpLayout.wrap(overview.split(separator: " ").map(String.init), first: "OVERVIEW: ", indent: 10)
    text += "\n"
    for (k, line) in usage.enumerated() {
      let head = (k == 0 ? "USAGE: " : "       ") + "\(name) "
      text += HelpLayout.wrap(HelpLayout.usageWords(line), first: head, indent: 8 + name.count)
    }
    if !arguments.isEmpty {
      text += "\nARGUMENTS:\n"
      for (placeholder, help) in arguments { text += HelpLayout.row(placeholder, help) }
    }
    text += "\nOPTIONS:\n"
    for option in allOptions where !option.hidden {
      var left = option.names.sorted { $0.count < $1.count }.joined(separator: ", ")
      if let value = option.value { left += " \(value)" }
      text += HelpLayout.row(left, option.help)
    }
    text += "\nSee \(name)(1) for the full description.\n"
    return text
  }

  /// The usage error text: three lines for stderr.
  public func usageErrorText(_ error: UsageError) -> String {
    "\(name): \(error.message)\nUsage: \(name) \(usage.first ?? "")\nSee '\(name) --help' for more information.\n"
  }
}

enum HelpLayout {
  static let column = 26
  /// No line of `--help` is wider, so it reads in an 80-column terminal.
  static let width = 80

  /// `words` after `first`, wrapped at `width`, continuation lines indented by `indent`.
  static func wrap(_ words: [String], first: String, indent: Int) -> String {
    var text = ""
    var line = first
    var lineHasWord = false
    for word in words {
      if lineHasWord && line.count + 1 + word.count > width {
        text += line + "\n"
        line = String(repeating: " ", count: indent)
        lineHasWord = false
      }
      line += lineHasWord ? " " + word : word
      lineHasWord = true
    }
    return text + line + "\n"
  }

  /// A usage line's words, an optional or grouped part (`[--python PATH | --no-python]`) kept
  /// as one, so that a line break never falls inside brackets.
  static func usageWords(_ line: String) -> [String] {
    var words: [String] = []
    var current = ""
    var depth = 0
    for character in line {
      if character == " " && depth == 0 {
        if !current.isEmpty { words.append(current) }
        current = ""
        continue
      }
      if character == "[" || character == "(" { depth += 1 }
      if character == "]" || character == ")" { depth = max(0, depth - 1) }
      current.append(character)
    }
    if !current.isEmpty { words.append(current) }
    return words
  }

  /// One help row: the left part, then the help wrapped at `width`, aligned at `column`.
  static func row(_ left: String, _ help: String) -> String {
    var lines: [String] = []
    var current = ""
    for word in help.split(separator: " ") {
      if !current.isEmpty && column + current.count + 1 + word.count > width {
        lines.append(current)
        current = ""
      }
      current += current.isEmpty ? String(word) : " " + word
    }
    if !current.isEmpty { lines.append(current) }
    let pad = String(repeating: " ", count: column)
    var text = "  " + left
    if text.count + 2 > column {
      text += "\n" + pad
    } else {
      text += String(repeating: " ", count: column - text.count)
    }
    text += lines.joined(separator: "\n" + pad) + "\n"
    return text
  }
}

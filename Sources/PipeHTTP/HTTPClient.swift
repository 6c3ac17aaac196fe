import CPipeCurl
import PipeKit

#if canImport(Glibc)
  import Glibc
#endif

/// An HTTP response: the status, the URL it finally came from (after redirects), its content
/// type and body, and how many attempts it took.
public struct HTTPResponse: Sendable {
  public var status: Int
  public var url: String
  public var contentType: String?
  public var body: [UInt8]
  public var attempts: Int
  /// Where a 3xx answer points (its `Location`, resolved), when redirects are not followed.
  public var location: String?

  public init(status: Int, url: String, contentType: String? = nil, body: [UInt8] = [], attempts: Int = 1) {
    self.status = status
    self.url = url
    self.contentType = contentType
    self.body = body
    self.attempts = attempts
  }
}

/// Why a request got no HTTP response at all.
public struct HTTPFailure: Error, Sendable, Equatable, CustomStringConvertible {
  public enum Kind: Sendable, Equatable {
    /// The connection could not be made or broke (refused, reset, nothing received); retried.
    case connection
    /// The connect or total timeout ran out; retried.
    case timeout
    /// The host name did not resolve.
    case resolve
    /// libcurl is not installed.
    case unavailable
    /// The body (or its declared `Content-Length`) is over `Options.maxBodyBytes`; not retried.
    case tooLarge
    /// Anything else curl reports (TLS verification, a bad URL).
    case other
  }

  public var kind: Kind
  public var url: String
  public var message: String
  public var attempts = 1
  /// libcurl's error code (`CURLcode`); 0 when the failure did not come from libcurl.
  public var curlCode: Int32 = 0

  /// Whether the request surely never reached the server (the connection was never made), so
  /// that sending it again cannot make it happen twice.
  public var neverSent: Bool { curlCode == 7 || kind == .resolve || kind == .unavailable }

  public var description: String {
    attempts > 1 ? "\(url): \(message) (after \(attempts) attempts)" : "\(url): \(message)"
  }
}

/// A small blocking HTTP/HTTPS client over the system's libcurl.
///
/// Every request has a connect timeout and a total timeout, sends `User-Agent:
/// comfy-pipes/<version>`, follows redirects (to http or https only) unless
/// `Options.followsRedirects` is off, and accepts compressed
/// bodies. A request that fails to connect, times out or loses its connection is retried with
/// exponential backoff; any HTTP status, 404 and 500 included, is an answer and is never retried.
public struct HTTPClient: Sendable {
  public struct Options: Sendable {
    /// Seconds to establish the connection (TCP and TLS).
    public var connectTimeout: Double = 10
    /// Seconds for the whole request, body included.
    public var totalTimeout: Double = 60
    /// Further attempts after a connection failure or timeout.
    public var retries: Int = 3
    /// Seconds before the first retry; each further retry waits twice as long.
    public var backoff: Double = 0.5
    public var userAgent: String = "comfy-pipes/\(pipeKitVersion)"
    /// Bodies larger than this fail instead of filling memory.
    public var maxBodyBytes: Int = 256 << 20
    /// Whether a 3xx answer is followed (at most 10 times, to http or https only). When false a
    /// 3xx is the response, with its target in `HTTPResponse.location`.
    public var followsRedirects = true

    public init() {}
  }

  public enum Method: String, Sendable {
    case get = "GET"
    case head = "HEAD"
    /// A POST with the `body` given to `send`.
    case post = "POST"
  }

  public var options: Options

  public init(options: Options = Options()) { self.options = options }

  /// Sends one request, retrying connection failures and timeouts.
  /// - Parameters:
  ///   - headers: extra request headers as `Name: value` lines.
  ///   - range: a byte range such as `0-0`, sent as `Range: bytes=…`.
  ///   - body: the body of a `POST` (give its `Content-Type` in `headers`).
  ///
  /// A `POST` that may have reached the server is retried like any other request; a caller
  /// whose POST must not run twice sets `options.retries` to 0 and decides itself.
  public func send(
    _ method: Method = .get, _ url: String, headers: [String] = [], range: String? = nil, body: [UInt8] = []
  ) throws(HTTPFailure) -> HTTPResponse {
    var attempt = 0
    while true {
      attempt += 1
      do {
        var response = try CurlRequest(
          url: url, method: method, headers: headers, range: range, body: body, options: options
        ).perform()
        response.attempts = attempt
        return response
      } catch {
        var failure = error
        failure.attempts = attempt
        let retryable = failure.kind == .connection || failure.kind == .timeout
        guard retryable, attempt <= options.retries else { throw failure }
        sleepSeconds(options.backoff * Double(1 << (attempt - 1)))
      }
    }
  }
}

extension HTTPClient {
  /// GETs `url` and hands the body to `consume` as it arrives, never holding it in memory; a
  /// false return stops the transfer. `restart` runs before every attempt (truncate the file
  /// being written). Connection failures are retried as `send` does; the response's `body` is
  /// empty. A body (or a declared `Content-Length`) over `options.maxBodyBytes` fails.
  public func download(
    _ url: String, headers: [String] = [], restart: () -> Void, consume: (UnsafeRawBufferPointer) -> Bool
  ) throws(HTTPFailure) -> HTTPResponse {
    var attempt = 0
    while true {
      attempt += 1
      restart()
      let result: Result<HTTPResponse, HTTPFailure> = withoutActuallyEscaping(consume) { consumer in
        Result { () throws(HTTPFailure) in
          try CurlRequest(url: url, method: .get, headers: headers, range: nil, options: options)
            .perform(consumer: consumer)
        }
      }
      switch result {
      case .success(var response):
        response.attempts = attempt
        return response
      case .failure(var failure):
        failure.attempts = attempt
        let retryable = failure.kind == .connection || failure.kind == .timeout
        guard retryable, attempt <= options.retries else { throw failure }
        sleepSeconds(options.backoff * Double(1 << (attempt - 1)))
      }
    }
  }
}

/// Sleeps, resuming after signals (`nanosleep`).
public func sleepSeconds(_ seconds: Double) {
  guard seconds > 0 else { return }
  var request = timespec(tv_sec: Int(seconds), tv_nsec: Int((seconds - Double(Int(seconds))) * 1e9))
  var remaining = timespec()
  while nanosleep(&request, &remaining) != 0 && errno == EINTR { request = remaining }
}

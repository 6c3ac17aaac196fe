import CPipeCurl

/// One curl easy handle doing one request.
struct CurlRequest {
  var url: String
  var method: HTTPClient.Method
  var headers: [String]
  var range: String?
  /// The request body, sent with `POST`.
  var body: [UInt8] = []
  var options: HTTPClient.Options

  /// The body collected by the write callback, with its limit.
  final class Sink {
    var bytes: [UInt8] = []
    let limit: Int
    var overflowed = false
    /// When set, the body goes here chunk by chunk instead of into `bytes`; false stops it.
    var consumer: ((UnsafeRawBufferPointer) -> Bool)?
    var consumed = 0
    var consumerStopped = false
    init(limit: Int) { self.limit = limit }
  }

  func perform(consumer: ((UnsafeRawBufferPointer) -> Bool)? = nil) throws(HTTPFailure) -> HTTPResponse {
    guard cpipes_curl_load() == 0 else {
      let why = cpipes_curl_load_error().map { String(cString: $0) } ?? "unknown reason"
      throw HTTPFailure(kind: .unavailable, url: url, message: "libcurl is not available (\(why)); install libcurl4")
    }
    guard let handle = cpipes_curl_easy_init() else {
      throw HTTPFailure(kind: .other, url: url, message: "curl_easy_init failed")
    }
    defer { cpipes_curl_cleanup(handle) }
    let easy = EasyHandle(handle: handle)
    let sink = Sink(limit: options.maxBodyBytes)
    sink.consumer = consumer
    var list: UnsafeMutableRawPointer?
    defer { if let list { cpipes_curl_slist_free_all(list) } }
    for header in headers { list = cpipes_curl_slist_append(list, header) }
    // No `Expect: 100-continue` wait before a larger POST body: send it at once.
    if method == .post { list = cpipes_curl_slist_append(list, "Expect:") }
    let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: 256)
    defer { errorBuffer.deallocate() }
    errorBuffer[0] = 0

    // libcurl copies the strings it is given; the header list, the error buffer and the sink
    // must live until `perform` returns.
    let protocols = Int(CPIPES_CURLPROTO_HTTP | CPIPES_CURLPROTO_HTTPS)
    easy.set(CPIPES_CURLOPT_NOSIGNAL, 1)
    easy.set(CPIPES_CURLOPT_PROTOCOLS, protocols)
    easy.set(CPIPES_CURLOPT_REDIR_PROTOCOLS, protocols)
    // Without `followsRedirects` a 3xx is the answer, its `Location` in `HTTPResponse.location`.
    easy.set(CPIPES_CURLOPT_FOLLOWLOCATION, options.followsRedirects ? 1 : 0)
    easy.set(CPIPES_CURLOPT_MAXREDIRS, 10)
    easy.set(CPIPES_CURLOPT_CONNECTTIMEOUT_MS, max(1, Int(options.connectTimeout * 1000)))
    easy.set(CPIPES_CURLOPT_TIMEOUT_MS, max(1, Int(options.totalTimeout * 1000)))
    if method == .head { easy.set(CPIPES_CURLOPT_NOBODY, 1) }
    if method == .post {
      easy.set(CPIPES_CURLOPT_POST, 1)
      easy.set(CPIPES_CURLOPT_POSTFIELDSIZE_LARGE, body.count)
    }
    easy.set(CPIPES_CURLOPT_URL, url)
    easy.set(CPIPES_CURLOPT_USERAGENT, options.userAgent)
    easy.set(CPIPES_CURLOPT_ACCEPT_ENCODING, "")
    if let range { easy.set(CPIPES_CURLOPT_RANGE, range) }
    // A declared Content-Length over the limit fails before any of the body is read.
    easy.set(CPIPES_CURLOPT_MAXFILESIZE_LARGE, options.maxBodyBytes)
    cpipes_curl_setopt_pointer(handle, Int32(CPIPES_CURLOPT_ERRORBUFFER), errorBuffer)
    cpipes_curl_setopt_pointer(handle, Int32(CPIPES_CURLOPT_HTTPHEADER), list)
    cpipes_curl_setopt_callback(handle, Int32(CPIPES_CURLOPT_WRITEFUNCTION), collectBody)
    cpipes_curl_setopt_pointer(handle, Int32(CPIPES_CURLOPT_WRITEDATA), Unmanaged.passUnretained(sink).toOpaque())
    // The body is not copied by libcurl: it is handed over for the length of `perform` (an empty
    // one as one byte that is never read, since libcurl needs a pointer).
    let payload = body.isEmpty ? [0] : body
    let code = withExtendedLifetime(sink) {
      payload.withUnsafeBytes { bytes in
        if method == .post { cpipes_curl_setopt_pointer(handle, Int32(CPIPES_CURLOPT_POSTFIELDS), bytes.baseAddress) }
        return cpipes_curl_perform(handle)
      }
    }

    // A ranged GET that the server answers with the whole file has said what it needed to.
    let rangeIgnored = (sink.overflowed || code == 63) && range != nil
    guard code == 0 || rangeIgnored else {
      if sink.consumerStopped {
        throw HTTPFailure(kind: .other, url: url, message: "writing the body failed")
      }
      if sink.overflowed || code == 63 {
        var failure = HTTPFailure(
          kind: .tooLarge, url: url, message: "the body is larger than \(options.maxBodyBytes) bytes")
        failure.curlCode = code
        throw failure
      }
      let detail = String(cString: errorBuffer)
      let message = detail.isEmpty ? String(cString: cpipes_curl_strerror(code)) : detail
      var failure = HTTPFailure(kind: Self.kind(of: code), url: url, message: message)
      failure.curlCode = code
      throw failure
    }
    var response = HTTPResponse(
      status: easy.long(CPIPES_CURLINFO_RESPONSE_CODE), url: easy.string(CPIPES_CURLINFO_EFFECTIVE_URL) ?? url,
      contentType: easy.string(CPIPES_CURLINFO_CONTENT_TYPE), body: sink.bytes)
    if (300..<400).contains(response.status) { response.location = easy.string(CPIPES_CURLINFO_REDIRECT_URL) }
    return response
  }

  /// How a curl error code is treated: which failures are worth another attempt.
  static func kind(of code: Int32) -> HTTPFailure.Kind {
    switch code {
    // COULDNT_CONNECT, HTTP2, PARTIAL_FILE, SSL_CONNECT_ERROR, GOT_NOTHING, SEND_ERROR,
    // RECV_ERROR, HTTP2_STREAM: the connection failed or broke.
    case 7, 16, 18, 35, 52, 55, 56, 92: .connection
    case 28: .timeout
    case 5, 6: .resolve
    default: .other
    }
  }
}

/// Typed `curl_easy_setopt` and `curl_easy_getinfo` calls on one handle.
private struct EasyHandle {
  let handle: UnsafeMutableRawPointer

  func set(_ option: Int, _ value: Int) { cpipes_curl_setopt_long(handle, Int32(option), value) }

  func set(_ option: Int, _ value: String) { cpipes_curl_setopt_pointer(handle, Int32(option), value) }

  func long(_ info: Int) -> Int {
    var value = 0
    cpipes_curl_getinfo_long(handle, Int32(info), &value)
    return value
  }

  func string(_ info: Int) -> String? {
    var value: UnsafePointer<CChar>?
    cpipes_curl_getinfo_string(handle, Int32(info), &value)
    return value.map { String(cString: $0) }
  }
}

/// curl's write callback: appends to the `Sink`, and stops the transfer past its limit.
private let collectBody: cpipes_curl_write_fn = { data, size, count, context in
  let sink = Unmanaged<CurlRequest.Sink>.fromOpaque(context!).takeUnretainedValue()
  let n = size * count
  if let consumer = sink.consumer {
    guard sink.consumed + n <= sink.limit else {
      sink.overflowed = true
      return 0
    }
    sink.consumed += n
    guard consumer(UnsafeRawBufferPointer(start: data, count: n)) else {
      sink.consumerStopped = true
      return 0
    }
    return n
  }
  guard sink.bytes.count + n <= sink.limit else {
    sink.overflowed = true
    return 0
  }
  if let data {
    data.withMemoryRebound(to: UInt8.self, capacity: n) {
      sink.bytes.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
    }
  }
  return n
}

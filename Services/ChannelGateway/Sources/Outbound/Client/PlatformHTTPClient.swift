public import AsyncHTTPClient

/// Executes built `PlatformRequest`s with AsyncHTTPClient, each under its own timeout.
/// It never retries: a connection error or timeout is returned as `PlatformTransportError`
/// and reported as a transient outcome by the callers; the delivery worker owns retries.
public struct PlatformHTTPClient: Sendable {
    private let client: HTTPClient
    /// Per-request deadline (connect + send + whole answer).
    public var timeout: Duration
    /// Larger answers are cut off and treated as a transport error.
    public var maxResponseBytes: Int

    /// `client` is owned by the caller (the composition root), which also shuts it down.
    public init(client: HTTPClient, timeout: Duration = .seconds(15), maxResponseBytes: Int = 1 << 20) {
        self.client = client
        self.timeout = timeout
        self.maxResponseBytes = maxResponseBytes
    }

    public func execute(_ request: PlatformRequest) async throws(PlatformTransportError) -> PlatformResponse {
        var httpRequest = HTTPClientRequest(url: request.url)
        httpRequest.method = .init(rawValue: request.method)
        for (name, value) in request.headers.sorted(by: { $0.key < $1.key }) {
            httpRequest.headers.add(name: name, value: value)
        }
        if !request.body.isEmpty {
            httpRequest.body = .bytes(request.body)
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        do {
            let response = try await client.execute(httpRequest, timeout: .nanoseconds(nanoseconds))
            let body = try await response.body.collect(upTo: maxResponseBytes)
            var headers: [String: String] = [:]
            for header in response.headers {
                let name = header.name.lowercased()
                headers[name] = headers[name].map { "\($0), \(header.value)" } ?? header.value
            }
            return PlatformResponse(
                status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView))
        } catch {
            throw PlatformTransportError(request: "\(request.method) \(request.redactedURL)", underlying: "\(error)")
        }
    }
}

/// The request got no complete HTTP answer: refused connection, TLS failure, timeout, reset.
/// The platform may or may not have acted on it.
public struct PlatformTransportError: Error, Sendable, Hashable {
    public var request: String
    public var underlying: String
}

extension PlatformRequest {
    /// The URL without its query string and Telegram's in-path bot token, for logs and errors.
    var redactedURL: String {
        let withoutQuery = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        return withoutQuery.replacing(/\/bot[^\/]+\//, with: "/bot<token>/")
    }
}

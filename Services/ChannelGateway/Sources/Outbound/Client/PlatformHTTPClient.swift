public import AsyncHTTPClient
import NIOCore
import NIOPosix
import NIOSSL

#if canImport(Glibc)
    import Glibc
#endif

/// Executes built `PlatformRequest`s with AsyncHTTPClient, each under its own timeout.
/// It never retries: a connection error or timeout is returned as `PlatformTransportError`, which
/// says whether the request may have reached the platform; the delivery worker owns retries.
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
        let described = "\(request.method) \(request.redactedURL)"
        let response: HTTPClientResponse
        do {
            response = try await client.execute(httpRequest, timeout: .nanoseconds(nanoseconds))
        } catch {
            throw PlatformTransportError(
                request: described, underlying: "\(error)", mayHaveReachedPlatform: Self.mayHaveReachedPlatform(error))
        }
        do {
            let body = try await response.body.collect(upTo: maxResponseBytes)
            var headers: [String: String] = [:]
            for header in response.headers {
                let name = header.name.lowercased()
                headers[name] = headers[name].map { "\($0), \(header.value)" } ?? header.value
            }
            return PlatformResponse(
                status: Int(response.status.code), headers: headers, body: Array(body.readableBytesView))
        } catch {
            // The status line came: the platform had the whole request and acted on it.
            throw PlatformTransportError(request: described, underlying: "\(error)", mayHaveReachedPlatform: true)
        }
    }

    /// Errors AsyncHTTPClient raises before any byte of the request went out: no connection (refused,
    /// unreachable, DNS, connect or TLS handshake timeout, none free in the pool before the
    /// deadline), a client shut down, a URL it cannot use.
    static let beforeSending: [HTTPClientError] = [
        .connectTimeout, .getConnectionFromPoolTimeout, .tlsHandshakeTimeout, .socksHandshakeTimeout,
        .httpProxyHandshakeTimeout, .invalidProxyResponse, .proxyAuthenticationRequired, .alreadyShutdown,
        .invalidURL, .emptyHost, .emptyScheme, .missingSocketPath,
    ]

    /// Whether the platform may have received the request (and acted on it) although no answer
    /// came: false only for the errors known to happen before it was sent, so "maybe" is the answer
    /// when unsure. A deadline passed on a connection (a hang, a slow answer), a reset or close
    /// after the request was written, a cancellation mid-flight: maybe. A reused keep-alive
    /// connection the server closed just before our request is reported as maybe too: rare, and the
    /// safe side of a duplicate.
    /// Errors of a connect that never succeeded: refused, unreachable network or host.
    static let connectErrnos: Set<CInt> = [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH]

    static func mayHaveReachedPlatform(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError { return !Self.beforeSending.contains(error) }
        // The pool reports the last connect failure of a request that never got a connection.
        if error is NIOConnectionError { return false }
        if case .connectTimeout? = error as? ChannelError { return false }
        if case .handshakeFailed? = error as? NIOSSLError { return false }
        // The connect itself failed (AsyncHTTPClient reports a refused connect as an IOError).
        if let error = error as? IOError, Self.connectErrnos.contains(error.errnoCode) { return false }
        return true
    }
}

/// The request got no complete HTTP answer: refused connection, TLS failure, timeout, reset.
public struct PlatformTransportError: Error, Sendable, Hashable {
    public var request: String
    public var underlying: String
    /// False when the request is known not to have left (no connection): sending it again cannot
    /// duplicate anything. True otherwise: the platform may have acted on it (a timeout or a reset
    /// after it was written), and only the platform's own idempotency makes a new try safe.
    public var mayHaveReachedPlatform: Bool

    public init(request: String, underlying: String, mayHaveReachedPlatform: Bool = true) {
        self.request = request
        self.underlying = underlying
        self.mayHaveReachedPlatform = mayHaveReachedPlatform
    }
}

extension PlatformRequest {
    /// The URL without its query string and Telegram's in-path bot token, for logs and errors.
    var redactedURL: String {
        let withoutQuery = url.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url
        return withoutQuery.replacing(/\/bot[^\/]+\//, with: "/bot<token>/")
    }
}

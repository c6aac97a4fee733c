/// An HTTP request to a platform, fully built by an adapter and executed by the HTTP client.
///
/// Header names are lowercase; `url` is absolute and already percent-encoded.
public struct PlatformRequest: Sendable, Hashable {
    public var method: String
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, url: String, headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A platform's HTTP answer: status, headers (lowercase names) and body bytes.
public struct PlatformResponse: Sendable, Hashable {
    public var status: Int
    public var headers: [String: String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

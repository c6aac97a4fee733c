/// One HTTP request a platform made to our webhook endpoint, exactly as received.
///
/// The body stays raw bytes: every signature scheme is computed over the bytes on the wire, never
/// over a re-serialised value.
public struct WebhookRequest: Sendable, Hashable {
    /// One `name: value` header as received; lookup through ``header(_:)`` ignores case.
    public struct Header: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// One query item in the order it appeared; the value is already percent-decoded.
    public struct QueryItem: Sendable, Hashable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// Upper-case HTTP method (`GET`, `POST`).
    public var method: String
    /// Path of the request, e.g. `/webhooks/facebook/<channel-id>`.
    public var path: String
    public var query: [QueryItem]
    public var headers: [Header]
    public var body: [UInt8]
    /// The full public URL the platform called, scheme, host, path and query string exactly as the
    /// platform saw it (Twilio signs this string; behind a proxy it differs from the local URL).
    public var publicURL: String

    public init(
        method: String, path: String, query: [QueryItem] = [], headers: [Header] = [], body: [UInt8] = [],
        publicURL: String = ""
    ) {
        self.method = method.uppercased()
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.publicURL = publicURL
    }

    /// The first header with this name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    /// The first query item with exactly this name.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}

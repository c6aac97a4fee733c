public import AsyncHTTPClient

/// Where a fake posts webhooks: the gateway's URL for one channel and the secret it verifies with.
public struct WebhookTarget: Sendable, Hashable {
    public var url: String
    public var secret: String

    public init(url: String, secret: String) {
        self.url = url
        self.secret = secret
    }
}

/// A webhook ready to post exactly as the platform would: URL (with query for WeChat), headers, body.
public struct SignedWebhook: Sendable, Hashable {
    public var url: String
    public var headers: [String: String]
    public var body: [UInt8]

    public init(url: String, headers: [String: String], body: [UInt8]) {
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// Posts signed webhooks over HTTP. The `HTTPClient` belongs to the caller.
public struct WebhookPoster: Sendable {
    private let client: HTTPClient

    public init(client: HTTPClient) {
        self.client = client
    }

    /// POSTs `webhook`; returns the receiver's status and body.
    @discardableResult
    public func post(_ webhook: SignedWebhook, timeout: Duration = .seconds(10)) async throws -> (
        status: Int, body: [UInt8]
    ) {
        var request = HTTPClientRequest(url: webhook.url)
        request.method = .POST
        for (name, value) in webhook.headers.sorted(by: { $0.key < $1.key }) {
            request.headers.add(name: name, value: value)
        }
        request.body = .bytes(webhook.body)
        let response = try await client.execute(request, timeout: .nanoseconds(Self.nanoseconds(timeout)))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    /// Sends `handshake`'s GET; returns the receiver's status and body.
    public func get(_ handshake: WebhookHandshake, timeout: Duration = .seconds(10)) async throws -> (
        status: Int, body: [UInt8]
    ) {
        let response = try await client.execute(
            HTTPClientRequest(url: handshake.url), timeout: .nanoseconds(Self.nanoseconds(timeout)))
        let body = try await response.body.collect(upTo: 1 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}

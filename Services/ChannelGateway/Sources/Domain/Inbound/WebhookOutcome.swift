/// The HTTP answer to give the platform.
public struct WebhookReply: Sendable, Hashable {
    public var status: Int
    public var contentType: String?
    public var body: [UInt8]

    public init(status: Int, contentType: String? = nil, body: [UInt8] = []) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }

    /// `200` with an empty body, what most platforms expect.
    public static let emptyOK = WebhookReply(status: 200)

    /// `200 text/plain` with the given text.
    public static func text(_ text: String) -> WebhookReply {
        WebhookReply(status: 200, contentType: "text/plain; charset=utf-8", body: Array(text.utf8))
    }

    /// `200 application/json` with the given, already serialised, JSON text.
    public static func json(_ json: String) -> WebhookReply {
        WebhookReply(status: 200, contentType: "application/json", body: Array(json.utf8))
    }
}

/// What handling one webhook request produced.
public enum WebhookOutcome: Sendable, Hashable {
    /// A subscription/verification handshake: answer with the reply, store nothing.
    case handshake(WebhookReply)
    /// A verified delivery, parsed item by item: the normalised events (possibly none, e.g. a
    /// typing indicator) and every item that did not parse, kept raw (``UnparsedEntry``). Answer
    /// with the reply only after both are committed, so that a failure makes the platform retry.
    ///
    /// A signed delivery whose body is well-formed JSON, XML or form data always ends here, even
    /// when nothing in it parses; only a body that is not that at all is refused (400).
    case events([InboundEvent], unparsed: [UnparsedEntry], reply: WebhookReply)
}

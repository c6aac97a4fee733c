public import Foundation

/// LinkedIn Organization Social Action Notifications (CHANNELS.md §5): the `challengeCode` GET,
/// the `X-LI-Signature` POST, and — for the polling fallback — a page of the
/// `organizationalEntityNotifications` finder via ``parseNotificationPage(_:)``.
public struct LinkedInWebhookAdapter: WebhookAdapter {
    public typealias Secrets = LinkedInWebhookSecrets

    public static let platform = Platform.linkedin
    static let signatureHeader = "X-LI-Signature"

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: LinkedInWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard let secret = secrets.clientSecret else { throw .notConfigured("client secret") }
        switch request.method {
        case "GET":
            guard let code = request.queryValue("challengeCode"), !code.isEmpty else {
                throw .handshakeRejected("challengeCode is missing")
            }
            guard Self.isChallengeCode(code) else {
                throw .invalidValue("challengeCode", reason: "not a UUID (8-4-4-4-12 hex digits)")
            }
            return .handshake(.json(Self.challengeResponse(code: code, clientSecret: secret)))
        case "POST":
            try Self.verifySignature(request, secret: secret)
            return try Self.parse(request.body, now: now).outcome(reply: .emptyOK)
        default:
            throw .methodNotAllowed(request.method)
        }
    }

    /// Every `notifications[]` item on its own: one that does not parse is kept UNPARSED at its
    /// path (`notifications[3]`, routed by its `organizationalEntity` when that can be read) and
    /// the rest still become events. A JSON body without a `notifications` array is kept whole at
    /// `(root)`.
    static func parse(_ body: [UInt8], now: Date) throws(WebhookError) -> InboundBatch {
        let root = try JSONNode.parse(body)
        var batch = InboundBatch(platform: .linkedin, receivedAt: now)
        let notifications: [JSONNode]
        do {
            notifications = try root.array("notifications")
        } catch {
            batch.keep(root, accountID: nil, error: error)
            return batch
        }
        for notification in notifications {
            let organization = try? notification.optionalString("organizationalEntity")
            batch.add(notification, accountID: organization) { (node) throws(WebhookError) -> [InboundEvent] in
                [try LinkedInNotification(node: node).event()]
            }
        }
        return batch
    }

    /// Whether `code` is what LinkedIn sends as `challengeCode`: a UUID, 8-4-4-4-12 hex digits
    /// (§5.1 says type 4; either case of hex is accepted, the version digit is not checked).
    ///
    /// The challenge response is HMAC-SHA256 with the client secret, the key of `X-LI-Signature`:
    /// answering `hmacsha256=<body>` would hand out a valid signature for that body. A UUID can
    /// never start with that prefix, so no answer can be replayed as a webhook.
    static func isChallengeCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 36 else { return false }
        for (index, byte) in bytes.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard SignatureSupport.hexDigitValue(byte) != nil else { return false }
            }
        }
        return true
    }

    /// `{"challengeCode":…,"challengeResponse":<hex HMAC-SHA256(client secret, challengeCode)>}`.
    static func challengeResponse(code: String, clientSecret: String) -> String {
        let digest = SignatureSupport.hmacSHA256(key: clientSecret, message: Array(code.utf8))
        let json = try? JSONSerialization.data(
            withJSONObject: ["challengeCode": code, "challengeResponse": SignatureSupport.hex(digest)],
            options: [.sortedKeys, .withoutEscapingSlashes])
        return json.map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    /// Hex HMAC-SHA256 over the literal `hmacsha256=` followed by the raw body (§5.2, taken from a
    /// third-party verbatim summary; unconfirmed first-hand). A `hmacsha256=` prefix on the header
    /// value itself is tolerated.
    static func verifySignature(_ request: WebhookRequest, secret: String) throws(WebhookError) {
        guard var header = request.header(signatureHeader) else { throw .missingSignature(signatureHeader) }
        if header.hasPrefix("hmacsha256=") { header.removeFirst(11) }
        guard let given = SignatureSupport.decodeHex(header), given.count == 32 else {
            throw .malformedSignature(signatureHeader, reason: "expected 64 hex digits")
        }
        let signed = Array("hmacsha256=".utf8) + request.body
        guard SignatureSupport.isValidHMACSHA256(given, key: secret, message: signed) else {
            throw .signatureMismatch(signatureHeader)
        }
    }

    /// Parses one page of `GET /rest/organizationalEntityNotifications?q=criteria…` (the pull
    /// fallback): the same notification objects in `elements`, plus Rest.li `paging`.
    public static func parseNotificationPage(_ body: [UInt8]) throws(WebhookError) -> LinkedInNotificationPage {
        let root = try JSONNode.parse(body)
        var events: [InboundEvent] = []
        for element in try root.array("elements") {
            events.append(try LinkedInNotification(node: element).event())
        }
        let paging = try root.optional("paging")
        var nextHref: String?
        for link in try paging?.optionalArray("links") ?? [] where try link.optionalString("rel") == "next" {
            nextHref = try link.optionalString("href")
        }
        return LinkedInNotificationPage(
            events: events, start: try paging?.optional("start")?.int64(),
            count: try paging?.optional("count")?.int64(),
            total: try paging?.optional("total")?.int64(), nextPageHref: nextHref)
    }
}

import struct Foundation.Date

/// What Facebook, Instagram and WhatsApp share: the `hub.*` GET handshake, the
/// `X-Hub-Signature-256` check and the `{"object":…,"entry":[…]}` envelope.
enum MetaWebhook {
    static let signatureHeader = "X-Hub-Signature-256"

    /// Verifies the request and returns the handshake reply for GET, or the parsed envelope's
    /// entries for POST. The signature is checked before anything is parsed; a body that is not
    /// JSON is refused (400). A JSON body whose envelope is not `{"object": <expected>, "entry":
    /// [...]}` is still Meta's, signed: it is kept whole in `batch` as UNPARSED at `(root)` and
    /// yields no entries, so that Meta neither retries it nor disables the subscription.
    static func open(
        _ request: WebhookRequest, secrets: MetaWebhookSecrets, object expectedObject: String,
        into batch: inout InboundBatch
    ) throws(WebhookError) -> MetaRequest {
        switch request.method {
        case "GET":
            return .handshake(try handshake(request, secrets: secrets))
        case "POST":
            try verifySignature(request, secrets: secrets)
            let root = try JSONNode.parse(request.body)
            do {
                return .entries(try envelopeEntries(of: root, object: expectedObject))
            } catch {
                batch.keep(root, accountID: nil, error: error)
                return .entries([])
            }
        default:
            throw .methodNotAllowed(request.method)
        }
    }

    /// The `entry` items of an envelope that is `{"object": <expected>, "entry": [...]}`.
    private static func envelopeEntries(
        of root: JSONNode, object expectedObject: String
    ) throws(WebhookError) -> [JSONNode] {
        let object = try root.string("object")
        guard object == expectedObject else {
            throw .invalidValue("object", reason: "expected \"\(expectedObject)\", found \"\(object)\"")
        }
        return try root.array("entry")
    }

    /// `entry.time`, when Meta sent the batch: milliseconds in Messenger deliveries, seconds in
    /// feed ones (both seen), told apart by size. Only a fallback for items that carry no time of
    /// their own, so a malformed one counts as absent rather than failing the entry.
    static func entryTime(_ entry: JSONNode) -> Date? {
        guard let node = try? entry.optional("time"), let value = try? node.int64() else { return nil }
        if value > 100_000_000_000 { return try? node.unixMilliseconds() }
        return try? node.unixSeconds()
    }

    /// `hub.mode=subscribe` with the right `hub.verify_token` → the challenge as plain text.
    static func handshake(
        _ request: WebhookRequest, secrets: MetaWebhookSecrets
    ) throws(WebhookError) -> WebhookReply {
        guard let expected = secrets.verifyToken else { throw .notConfigured("verify token (hub.verify_token)") }
        guard request.queryValue("hub.mode") == "subscribe" else {
            throw .handshakeRejected("hub.mode is not \"subscribe\"")
        }
        guard let token = request.queryValue("hub.verify_token"), SignatureSupport.sharedSecretsEqual(token, expected)
        else { throw .handshakeRejected("hub.verify_token does not match") }
        guard let challenge = request.queryValue("hub.challenge"), !challenge.isEmpty else {
            throw .handshakeRejected("hub.challenge is missing")
        }
        return .text(challenge)
    }

    /// `X-Hub-Signature-256: sha256=<lowercase hex HMAC-SHA256(app secret, raw body)>`.
    static func verifySignature(_ request: WebhookRequest, secrets: MetaWebhookSecrets) throws(WebhookError) {
        guard let secret = secrets.appSecret else { throw .notConfigured("app secret") }
        guard let header = request.header(signatureHeader) else { throw .missingSignature(signatureHeader) }
        guard header.hasPrefix("sha256="), let given = SignatureSupport.decodeHex(String(header.dropFirst(7))),
            given.count == 32
        else { throw .malformedSignature(signatureHeader, reason: "expected sha256=<64 hex digits>") }
        guard SignatureSupport.isValidHMACSHA256(given, key: secret, message: request.body) else {
            throw .signatureMismatch(signatureHeader)
        }
    }
}

/// A verified Meta request: a handshake to answer or the `entry` items to parse.
enum MetaRequest {
    case handshake(WebhookReply)
    case entries([JSONNode])
}

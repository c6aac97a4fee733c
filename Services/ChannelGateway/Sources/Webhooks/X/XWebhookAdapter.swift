public import Foundation

/// X Account Activity API webhooks (CHANNELS.md §4): the CRC GET, `direct_message_events`,
/// `tweet_create_events` and `tweet_delete_events`. Other activity arrays (favourites, follows,
/// typing, read markers) carry nothing for the inbox and yield no events.
public struct XWebhookAdapter: WebhookAdapter {
    public static let platform = Platform.x
    static let signatureHeader = "x-twitter-webhooks-signature"

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: WebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard let secret = secrets.signingSecret else { throw .notConfigured("consumer secret") }
        switch request.method {
        case "GET":
            guard let token = request.queryValue("crc_token"), !token.isEmpty else {
                throw .handshakeRejected("crc_token is missing")
            }
            guard Self.isCRCToken(token) else {
                throw .invalidValue("crc_token", reason: "not 1 to 256 characters of A-Z a-z 0-9 - _ = + /")
            }
            return .handshake(.json(Self.crcResponse(token: token, consumerSecret: secret)))
        case "POST":
            try Self.verifySignature(request, secret: secret)
            return .events(try Self.events(in: request.body), reply: .emptyOK)
        default:
            throw .methodNotAllowed(request.method)
        }
    }

    /// Whether `token` has the shape of what X sends as `crc_token`: a short random token (the
    /// §4.1 vector is a UUID) of letters, digits, `-`, `_`, `=`, `+` and `/`, at most 256 of them.
    ///
    /// The CRC answer is the HMAC that also signs POST bodies: answering any token would sign any
    /// body a caller chose (`GET ?crc_token={"for_user_id":…}` hands out a valid
    /// `x-twitter-webhooks-signature` for that body). No body made of these characters is a JSON
    /// object, so no answer can be replayed as a webhook.
    static func isCRCToken(_ token: String) -> Bool {
        let bytes = token.utf8
        guard (1...256).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "="),
                UInt8(ascii: "+"), UInt8(ascii: "/"):
                return true
            default:
                return false
            }
        }
    }

    /// `{"response_token":"sha256=<base64(HMAC-SHA256(consumer secret, crc_token))>"}`.
    static func crcResponse(token: String, consumerSecret: String) -> String {
        let digest = SignatureSupport.hmacSHA256(key: consumerSecret, message: Array(token.utf8))
        return #"{"response_token":"sha256="# + SignatureSupport.base64(digest) + #""}"#
    }

    static func verifySignature(_ request: WebhookRequest, secret: String) throws(WebhookError) {
        guard let header = request.header(signatureHeader) else { throw .missingSignature(signatureHeader) }
        guard header.hasPrefix("sha256="), let given = SignatureSupport.decodeBase64(String(header.dropFirst(7))),
            given.count == 32
        else { throw .malformedSignature(signatureHeader, reason: "expected sha256=<base64 of 32 bytes>") }
        guard SignatureSupport.isValidHMACSHA256(given, key: secret, message: request.body) else {
            throw .signatureMismatch(signatureHeader)
        }
    }

    /// Event ids: a DM is its event `id` and a tweet its `id_str` (snowflakes, unique across both,
    /// repeated on a retry or replay, §4.5); a deletion is `delete:<tweet id>`, so that it is not
    /// taken for a re-delivery of the tweet it removes.
    static func events(in body: [UInt8]) throws(WebhookError) -> [InboundEvent] {
        let root = try JSONNode.parse(body)
        let forUserID = try root.id("for_user_id")
        let users = try root.optional("users")
        var events: [InboundEvent] = []
        for dm in try root.optionalArray("direct_message_events") {
            if let event = try XDirectMessage(node: dm, forUserID: forUserID, users: users).event() {
                events.append(event)
            }
        }
        for tweet in try root.optionalArray("tweet_create_events") {
            events.append(try XTweet(node: tweet, forUserID: forUserID).event())
        }
        for deletion in try root.optionalArray("tweet_delete_events") {
            let status = try deletion.field("status")
            let tweetID = try status.id("id")
            events.append(
                InboundEvent(
                    platform: .x, accountID: forUserID, kind: .deletion, eventID: "delete:\(tweetID)",
                    messageID: tweetID,
                    threadKey: tweetID, author: InboundAuthor(platformID: try status.id("user_id")),
                    occurredAt: try deletion.field("timestamp_ms").unixMilliseconds()))
        }
        return events
    }
}

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
            return .handshake(.json(Self.crcResponse(token: token, consumerSecret: secret)))
        case "POST":
            try Self.verifySignature(request, secret: secret)
            return .events(try Self.events(in: request.body), reply: .emptyOK)
        default:
            throw .methodNotAllowed(request.method)
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

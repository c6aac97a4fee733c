public import Foundation

/// X Account Activity API webhooks (CHANNELS.md §4): the CRC GET, `direct_message_events`,
/// `tweet_create_events`, `tweet_delete_events` and `user_event` (access revoked). Other activity
/// arrays (favourites, follows, typing, read markers) carry nothing for the inbox and yield no
/// events.
///
/// Every array item is parsed on its own: one that does not parse is kept UNPARSED at its path
/// (`tweet_create_events[1]`) and the rest still become events. A JSON body whose top level is
/// not an activity envelope (not an object, no `for_user_id`) is kept whole at `(root)`.
public struct XWebhookAdapter: WebhookAdapter {
    public typealias Secrets = XWebhookSecrets

    public static let platform = Platform.x
    static let signatureHeader = "x-twitter-webhooks-signature"

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: XWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard let secret = secrets.consumerSecret else { throw .notConfigured("consumer secret") }
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
            return try Self.parse(request.body, now: now).outcome(reply: .emptyOK)
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
    /// taken for a re-delivery of the tweet it removes; a revocation is described at
    /// ``userEventEvents(_:now:)``.
    static func parse(_ body: [UInt8], now: Date) throws(WebhookError) -> InboundBatch {
        let root = try JSONNode.parse(body)
        var batch = InboundBatch(platform: .x, receivedAt: now)
        let userEvent: JSONNode?
        let subscribedUserID: String?
        let users: JSONNode?
        let messages: [JSONNode]
        let tweets: [JSONNode]
        let deletions: [JSONNode]
        do {
            userEvent = try root.optional("user_event")
            if userEvent != nil, !root.has("for_user_id") {
                // A user event comes on its own, without `for_user_id`.
                subscribedUserID = nil
                users = nil
                messages = []
                tweets = []
                deletions = []
            } else {
                subscribedUserID = try root.id("for_user_id")
                users = try root.optional("users")
                messages = try root.optionalArray("direct_message_events")
                tweets = try root.optionalArray("tweet_create_events")
                deletions = try root.optionalArray("tweet_delete_events")
            }
        } catch {
            batch.keep(root, accountID: try? root.optionalID("for_user_id"), error: error)
            return batch
        }
        if let userEvent {
            let revoker = try? userEvent.optional("revoke")?.optional("source")?.optionalID("user_id")
            batch.add(userEvent, accountID: revoker) { (node) throws(WebhookError) -> [InboundEvent] in
                try Self.userEventEvents(node, now: now)
            }
        }
        guard let forUserID = subscribedUserID else { return batch }
        for message in messages {
            batch.add(message, accountID: forUserID) { (node) throws(WebhookError) -> [InboundEvent] in
                guard let event = try XDirectMessage(node: node, forUserID: forUserID, users: users).event() else {
                    return []
                }
                return [event]
            }
        }
        for tweet in tweets {
            batch.add(tweet, accountID: forUserID) { (node) throws(WebhookError) -> [InboundEvent] in
                [try XTweet(node: node, forUserID: forUserID).event()]
            }
        }
        for deletion in deletions {
            batch.add(deletion, accountID: forUserID) { (node) throws(WebhookError) -> [InboundEvent] in
                [try Self.deletionEvent(node, forUserID: forUserID)]
            }
        }
        return batch
    }

    /// A `tweet_delete_events[]` item. Deleting one of our own tweets is our own act (`isOwn`),
    /// like our own tweets in `tweet_create_events`; anyone else's is a customer's deletion.
    static func deletionEvent(_ deletion: JSONNode, forUserID: String) throws(WebhookError) -> InboundEvent {
        let status = try deletion.field("status")
        let tweetID = try status.id("id")
        let authorID = try status.id("user_id")
        return InboundEvent(
            platform: .x, accountID: forUserID, kind: .deletion, eventID: "delete:\(tweetID)", messageID: tweetID,
            threadKey: tweetID, author: InboundAuthor(platformID: authorID),
            occurredAt: try deletion.field("timestamp_ms").unixMilliseconds(), isOwn: authorID == forUserID)
    }

    /// `user_event.revoke`: a user revoked our app's access, a channel-level signal
    /// (``InboundEventKind/subscriptionRevoked``) on which the pipeline marks the channel
    /// SUBSCRIPTION_REVOKED. Not in CHANNELS.md; shape per X's Account Activity docs:
    /// `{"user_event":{"revoke":{"date_time":"2018-05-24T09:48:12+00:00","target":{"app_id":"13090192"},
    /// "source":{"user_id":"63046977"}}}}`. There is no `for_user_id`: the account is
    /// `source.user_id`. The id is `revoke:<user id>:<app id>:<date_time as sent>` (a user may
    /// revoke, grant again and revoke again; a re-delivery repeats all three). Its time is
    /// `date_time`; without one, the receipt time — no platform time encloses it. Other user
    /// events yield nothing.
    static func userEventEvents(_ userEvent: JSONNode, now: Date) throws(WebhookError) -> [InboundEvent] {
        guard let revoke = try userEvent.optional("revoke") else { return [] }
        let userID = try revoke.field("source").id("user_id")
        let appID = try revoke.optional("target")?.optionalID("app_id")
        let dateText = try revoke.optionalString("date_time")
        var occurredAt = now
        if let dateText {
            guard let date = ISO8601DateFormatter().date(from: dateText) else {
                throw .invalidValue(revoke.path + ".date_time", reason: "not an ISO 8601 date")
            }
            occurredAt = date
        }
        return [
            InboundEvent(
                platform: .x, accountID: userID, kind: .subscriptionRevoked,
                eventID: "revoke:\(userID):\(appID ?? ""):\(dateText ?? "")", threadKey: userID,
                author: InboundAuthor(platformID: userID), occurredAt: occurredAt)
        ]
    }
}

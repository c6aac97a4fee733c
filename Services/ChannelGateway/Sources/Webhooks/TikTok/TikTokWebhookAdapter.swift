public import Foundation

/// TikTok API for Business webhooks (CHANNELS.md §6): `comment.update`, signed with
/// `TikTok-Signature: t=…,s=…`. There is no handshake. Other event types (authorization,
/// video, messaging) yield no events yet.
public struct TikTokWebhookAdapter: WebhookAdapter {
    public typealias Secrets = TikTokWebhookSecrets

    public static let platform = Platform.tiktok
    static let signatureHeader = "TikTok-Signature"

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: TikTokWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard request.method == "POST" else { throw .methodNotAllowed(request.method) }
        guard let secret = secrets.clientSecret else { throw .notConfigured("client secret") }
        try Self.verifySignature(request, secret: secret, now: now, window: secrets.replayWindow)
        return try Self.parse(request.body, now: now).outcome(reply: .emptyOK)
    }

    /// `s` = hex HMAC-SHA256(secret, `t` + "." + raw body); `t` must lie within `window` of `now`
    /// in either direction (clock skew), which stops replays of captured requests.
    /// Decision: the Business platform is assumed to use the Developers scheme (§6.2 unconfirmed).
    static func verifySignature(
        _ request: WebhookRequest, secret: String, now: Date, window: ReplayWindow
    ) throws(WebhookError) {
        guard let header = request.header(signatureHeader) else { throw .missingSignature(signatureHeader) }
        var timestamp: String?
        var signature: String?
        for part in header.split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else { continue }
            let key = pair[0].trimmingCharacters(in: .whitespaces)
            let value = pair[1].trimmingCharacters(in: .whitespaces)
            if key == "t" { timestamp = value }
            if key == "s" { signature = value }
        }
        guard let timestamp, let signedAt = Int64(timestamp) else {
            throw .malformedSignature(signatureHeader, reason: "t=<unix seconds> is missing or not an integer")
        }
        guard let signature, let given = SignatureSupport.decodeHex(signature), given.count == 32 else {
            throw .malformedSignature(signatureHeader, reason: "s=<64 hex digits> is missing or malformed")
        }
        let signed = Array("\(timestamp).".utf8) + request.body
        guard SignatureSupport.isValidHMACSHA256(given, key: secret, message: signed) else {
            throw .signatureMismatch(signatureHeader)
        }
        try window.check(signedAt: signedAt, now: now)
    }

    /// One event per body. A body that is JSON but whose envelope or `content` does not parse
    /// (including `content` that is not JSON itself) is kept whole as UNPARSED at `(root)` — the
    /// envelope carries the account and the time the content needs — routed by `user_openid` when
    /// that can be read.
    static func parse(_ body: [UInt8], now: Date) throws(WebhookError) -> InboundBatch {
        let root = try JSONNode.parse(body)
        var batch = InboundBatch(platform: .tiktok, receivedAt: now)
        let openID = try? root.optionalString("user_openid")
        batch.add(root, accountID: openID) { (root) throws(WebhookError) -> [InboundEvent] in
            try Self.events(in: root)
        }
        return batch
    }

    static func events(in root: JSONNode) throws(WebhookError) -> [InboundEvent] {
        let event = try root.string("event")
        let openID = try root.string("user_openid")
        guard event == "comment.update" else { return [] }
        // `content` is a JSON document inside a string: parse it again, numbers kept as text.
        let contentText = try root.string("content")
        let content = try JSONNode.parse(Array(contentText.utf8), root: "content")
        let createTime = try root.optional("create_time")
        let envelopeTime = try createTime?.unixSeconds()
        let envelopeSeconds = try createTime?.int64()
        let comment = TikTokComment(
            content: content, businessID: openID, envelopeTime: envelopeTime, envelopeSeconds: envelopeSeconds)
        return [try comment.event()]
    }
}

public import Foundation

/// Telegram Bot API webhooks (CHANNELS.md §7): one `Update` per POST, authenticated by the
/// `X-Telegram-Bot-Api-Secret-Token` header. `message`, `edited_message`, `channel_post`,
/// `edited_channel_post` and `business_message` become events; callback queries and the rest
/// yield none.
public struct TelegramWebhookAdapter: WebhookAdapter {
    public typealias Secrets = TelegramWebhookSecrets

    public static let platform = Platform.telegram
    static let secretHeader = "X-Telegram-Bot-Api-Secret-Token"

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: TelegramWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        guard request.method == "POST" else { throw .methodNotAllowed(request.method) }
        // Decision: a channel must set `secret_token`; without it anyone could post updates.
        guard let expected = secrets.secretToken else {
            throw .notConfigured("secret token (setWebhook secret_token)")
        }
        guard let given = request.header(Self.secretHeader) else { throw .missingSignature(Self.secretHeader) }
        // A plain shared secret, not a MAC: compared without leaking timing all the same.
        guard SignatureSupport.sharedSecretsEqual(given, expected) else { throw .signatureMismatch(Self.secretHeader) }
        return try Self.parse(request.body, now: now).outcome(reply: .emptyOK)
    }

    /// One `Update` per body: JSON whose update does not parse is kept whole as UNPARSED at
    /// `(root)` rather than refused, or Telegram would retry it and then drop it.
    static func parse(_ body: [UInt8], now: Date) throws(WebhookError) -> InboundBatch {
        let update = try JSONNode.parse(body)
        var batch = InboundBatch(platform: .telegram, receivedAt: now)
        batch.add(update, accountID: nil) { (update) throws(WebhookError) -> [InboundEvent] in
            try Self.events(in: update)
        }
        return batch
    }

    static func events(in update: JSONNode) throws(WebhookError) -> [InboundEvent] {
        let updateID = try update.field("update_id").int64()
        let kinds: [(String, InboundEventKind)] = [
            ("message", .directMessage), ("edited_message", .edit), ("channel_post", .post),
            ("edited_channel_post", .edit), ("business_message", .directMessage),
            ("edited_business_message", .edit),
        ]
        for (key, kind) in kinds {
            if let message = try update.optional(key) {
                return [try TelegramMessage(node: message).event(updateID: updateID, kind: kind)]
            }
        }
        return []
    }
}

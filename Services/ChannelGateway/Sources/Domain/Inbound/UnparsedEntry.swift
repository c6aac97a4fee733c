public import struct Foundation.Date

/// One item of a signed, well-formed delivery that the parser could not turn into events, kept
/// raw so that nothing a platform delivered is lost: the inbound log stores it UNPARSED (counted,
/// replayable after a parser fix) and the delivery is still answered 200 (DESIGN §2) — a platform
/// that sees errors retries and finally disables the subscription, losing the items beside it.
///
/// A type of its own rather than an `InboundEventKind.unparsed`: an ``InboundEvent`` promises an
/// event id, a thread key and a platform time, and an item that failed to parse has none of them.
/// As a kind it would need invented values, and every consumer of events (the relay,
/// conversation-service) would have to remember to filter it out. UNPARSED records never reach
/// the inbox, so they travel beside the events in ``WebhookOutcome/events(_:unparsed:reply:)``.
public struct UnparsedEntry: Sendable, Hashable {
    public var platform: Platform
    /// Our account's id where it could be read before the failure (Meta `entry.id`, WhatsApp
    /// `phone_number_id`, X `for_user_id`, LinkedIn `organizationalEntity`, TikTok `user_openid`,
    /// Twilio `To`, WeChat `ToUserName`), so the record can be routed to its channel; nil when the
    /// failure lies above it.
    public var accountID: String?
    /// Where the item sits in the body, e.g. `entry[1].changes[0]` or `notifications[3]`;
    /// `(root)` for a body that is a single item (Telegram, Twilio, WeChat, TikTok) or whose top
    /// level has a shape the parser does not know.
    public var path: String
    /// The item's raw text. JSON items are re-serialised from the parsed value rather than sliced
    /// from the body: compact, object members sorted by key (a parsed object keeps no order),
    /// numbers exactly as sent, strings with only `"`, `\` and control characters escaped
    /// (non-ASCII as UTF-8) — parsing it again gives the same value. Form and XML bodies, which
    /// are one item each, are the body's text as received (after decryption for WeChat AES).
    public var rawText: String
    /// Why the parser refused the item; it names the field (`entry[0].changes[1].value.post_id`).
    public var error: WebhookError
    /// When the gateway received the delivery.
    public var receivedAt: Date

    public init(
        platform: Platform, accountID: String?, path: String, rawText: String, error: WebhookError, receivedAt: Date
    ) {
        self.platform = platform
        self.accountID = accountID
        self.path = path
        self.rawText = rawText
        self.error = error
        self.receivedAt = receivedAt
    }

    /// The parser's error as text, for logs and the inbound log.
    public var errorDescription: String { String(describing: error) }
}

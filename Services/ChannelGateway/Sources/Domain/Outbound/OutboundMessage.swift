/// A reply the gateway sends to a platform on an agent's (or an automatic rule's) behalf.
///
/// `kind` says which platform operation is performed and to whom; `text` is the message body
/// (ignored for a WhatsApp template, whose text is the approved template's).
public struct OutboundMessage: Sendable, Hashable {
    /// What is sent and to whom.
    public var kind: OutboundKind
    /// The text the agent wrote.
    public var text: String
    /// The delivery's idempotency key; sent in the platform's own idempotency header where one exists.
    public var idempotencyKey: String
    /// The platform id of the customer's message this reply quotes (WhatsApp `context`, Telegram
    /// `reply_parameters`); ignored by platforms that cannot quote.
    public var quotedMessageID: String?
    /// Telegram: the business connection (`business_connection_id` of the customer's
    /// `business_message`) on whose behalf a reply into a Telegram Business chat is sent
    /// (CHANNELS.md §7.3, §7.4); nil for a bot's own chats. Ignored by every other platform.
    public var businessConnectionID: String?

    public init(
        kind: OutboundKind, text: String, idempotencyKey: String, quotedMessageID: String? = nil,
        businessConnectionID: String? = nil
    ) {
        self.kind = kind
        self.text = text
        self.idempotencyKey = idempotencyKey
        self.quotedMessageID = quotedMessageID
        self.businessConnectionID = businessConnectionID
    }
}

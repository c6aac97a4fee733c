public import struct Foundation.Date

/// Instagram professional-account webhooks (CHANNELS.md §2): DMs in `messaging[]`, and the
/// `comments`, `live_comments` and `mentions` fields, whether delivered in `changes[]` or flat
/// `field`/`value` on the entry (the IG-Login example shape).
///
/// Every entry, `messaging[]` item and change is parsed on its own: one that does not parse is
/// kept UNPARSED at its path and the rest still become events.
public struct InstagramWebhookAdapter: WebhookAdapter {
    public typealias Secrets = MetaWebhookSecrets

    public static let platform = Platform.instagram

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: MetaWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        var batch = InboundBatch(platform: .instagram, receivedAt: now)
        switch try MetaWebhook.open(request, secrets: secrets, object: "instagram", into: &batch) {
        case .handshake(let reply):
            return .handshake(reply)
        case .entries(let entries):
            for entry in entries {
                Self.parse(entry, into: &batch)
            }
            return batch.outcome(reply: .emptyOK)
        }
    }

    private static func parse(_ entry: JSONNode, into batch: inout InboundBatch) {
        let accountID: String
        let items: [JSONNode]
        var changes: [JSONNode]
        do {
            accountID = try entry.id("id")
            items = try entry.optionalArray("messaging") + entry.optionalArray("standby")
            changes = try entry.optionalArray("changes")
        } catch {
            batch.keep(entry, accountID: nil, error: error)
            return
        }
        if changes.isEmpty, entry.has("field") { changes = [entry] }
        // Comment and mention values carry no time of their own; entry.time (when Meta sent the
        // batch, seconds or ms) is the closest platform time there is.
        let entryTime = MetaWebhook.entryTime(entry)
        for item in items {
            batch.add(item, accountID: accountID) { (item) throws(WebhookError) -> [InboundEvent] in
                try MetaMessaging.events(from: item, accountID: accountID, platform: .instagram, entryTime: entryTime)
            }
        }
        for change in changes {
            batch.add(change, accountID: accountID) { (change) throws(WebhookError) -> [InboundEvent] in
                try Self.changeEvents(change, accountID: accountID, entryTime: entryTime)
            }
        }
    }

    /// One change. The field is read first: a field we ignore needs no `value`.
    private static func changeEvents(_ change: JSONNode, accountID: String, entryTime: Date?) throws(WebhookError)
        -> [InboundEvent]
    {
        let field = try change.string("field")
        guard field == "comments" || field == "live_comments" || field == "mentions" else { return [] }
        let value = InstagramChange(value: try change.field("value"), accountID: accountID)
        if field == "mentions" { return [try value.mentionEvent(entryTime: entryTime)] }
        return [try value.commentEvent(entryTime: entryTime)]
    }
}

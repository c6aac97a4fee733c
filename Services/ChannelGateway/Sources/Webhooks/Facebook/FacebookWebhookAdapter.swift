public import struct Foundation.Date

/// Facebook Page webhooks (CHANNELS.md §1): Messenger (`messaging[]`, also `standby[]`) and the
/// `feed` and `mention` change fields.
///
/// Every entry, `messaging[]` item and `changes[]` item is parsed on its own: one that does not
/// parse is kept UNPARSED at its path (`entry[1].changes[0]`) and the rest still become events.
public struct FacebookWebhookAdapter: WebhookAdapter {
    public typealias Secrets = MetaWebhookSecrets

    public static let platform = Platform.facebook

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: MetaWebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        var batch = InboundBatch(platform: .facebook, receivedAt: now)
        switch try MetaWebhook.open(request, secrets: secrets, object: "page", into: &batch) {
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
        let pageID: String
        let items: [JSONNode]
        let changes: [JSONNode]
        do {
            pageID = try entry.id("id")
            items = try entry.optionalArray("messaging") + entry.optionalArray("standby")
            changes = try entry.optionalArray("changes")
        } catch {
            batch.keep(entry, accountID: nil, error: error)
            return
        }
        let entryTime = MetaWebhook.entryTime(entry)
        for item in items {
            batch.add(item, accountID: pageID) { (item) throws(WebhookError) -> [InboundEvent] in
                try MetaMessaging.events(from: item, accountID: pageID, platform: .facebook, entryTime: entryTime)
            }
        }
        for change in changes {
            batch.add(change, accountID: pageID) { (change) throws(WebhookError) -> [InboundEvent] in
                guard let event = try Self.changeEvent(change, pageID: pageID, entryTime: entryTime) else { return [] }
                return [event]
            }
        }
    }

    /// One `changes[]` item. The field is read first: a field we ignore needs no `value` (Meta
    /// sends some without one).
    static func changeEvent(_ change: JSONNode, pageID: String, entryTime: Date?) throws(WebhookError)
        -> InboundEvent?
    {
        let field = try change.string("field")
        guard field == "feed" || field == "mention" else { return nil }  // ratings, page settings, …
        let feedChange = FacebookFeedChange(value: try change.field("value"), pageID: pageID, entryTime: entryTime)
        if field == "mention" { return try feedChange.mentionEvent() }
        return try feedChange.event()
    }
}

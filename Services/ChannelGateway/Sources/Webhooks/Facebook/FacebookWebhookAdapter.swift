public import struct Foundation.Date

/// Facebook Page webhooks (CHANNELS.md §1): Messenger (`messaging[]`, also `standby[]`) and the
/// `feed` and `mention` change fields.
public struct FacebookWebhookAdapter: WebhookAdapter {
    public static let platform = Platform.facebook

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: WebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        switch try MetaWebhook.open(request, secrets: secrets, object: "page") {
        case .handshake(let reply):
            return .handshake(reply)
        case .entries(let entries):
            var events: [InboundEvent] = []
            for entry in entries {
                let pageID = try entry.id("id")
                for item in try entry.optionalArray("messaging") + entry.optionalArray("standby") {
                    events += try MetaMessaging.events(from: item, accountID: pageID, platform: .facebook)
                }
                for change in try entry.optionalArray("changes") {
                    if let event = try Self.changeEvent(change, pageID: pageID) { events.append(event) }
                }
            }
            return .events(events, reply: .emptyOK)
        }
    }

    static func changeEvent(_ change: JSONNode, pageID: String) throws(WebhookError) -> InboundEvent? {
        let field = try change.string("field")
        let value = try change.field("value")
        switch field {
        case "feed": return try FacebookFeedChange(value: value, pageID: pageID).event()
        case "mention": return try FacebookFeedChange(value: value, pageID: pageID).mentionEvent()
        default: return nil  // ratings, page settings, …: nothing for the inbox.
        }
    }
}

public import struct Foundation.Date

/// Instagram professional-account webhooks (CHANNELS.md §2): DMs in `messaging[]`, and the
/// `comments`, `live_comments` and `mentions` fields, whether delivered in `changes[]` or flat
/// `field`/`value` on the entry (the IG-Login example shape).
public struct InstagramWebhookAdapter: WebhookAdapter {
    public static let platform = Platform.instagram

    public init() {}

    public func handle(
        _ request: WebhookRequest, secrets: WebhookSecrets, now: Date
    ) throws(WebhookError) -> WebhookOutcome {
        switch try MetaWebhook.open(request, secrets: secrets, object: "instagram") {
        case .handshake(let reply):
            return .handshake(reply)
        case .entries(let entries):
            var events: [InboundEvent] = []
            for entry in entries {
                let accountID = try entry.id("id")
                // Comment and mention values carry no time of their own; entry.time (when Meta sent
                // the batch, seconds or ms) is the closest platform time there is.
                let entryTime = try entry.optional("time").map { (node) throws(WebhookError) in
                    try node.int64() > 100_000_000_000 ? node.unixMilliseconds() : node.unixSeconds()
                }
                for item in try entry.optionalArray("messaging") + entry.optionalArray("standby") {
                    events += try MetaMessaging.events(from: item, accountID: accountID, platform: .instagram)
                }
                var changes = try entry.optionalArray("changes")
                if changes.isEmpty, entry.has("field") { changes = [entry] }
                for change in changes {
                    let comment = InstagramChange(value: try change.field("value"), accountID: accountID)
                    switch try change.string("field") {
                    case "comments", "live_comments":
                        events.append(try comment.commentEvent(entryTime: entryTime))
                    case "mentions":
                        events.append(try comment.mentionEvent(entryTime: entryTime))
                    default:
                        continue
                    }
                }
            }
            return .events(events, reply: .emptyOK)
        }
    }
}

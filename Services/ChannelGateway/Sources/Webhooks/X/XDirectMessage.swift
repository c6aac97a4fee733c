import struct Foundation.Date

/// One `direct_message_events[]` item (`type: message_create`).
struct XDirectMessage {
    let node: JSONNode
    let forUserID: String
    let users: JSONNode?

    func event() throws(WebhookError) -> InboundEvent? {
        guard try node.string("type") == "message_create" else { return nil }
        let id = try node.id("id")
        let create = try node.field("message_create")
        let senderID = try create.id("sender_id")
        let recipientID = try create.optional("target")?.optionalID("recipient_id")
        let data = try create.field("message_data")
        // DMs the subscribed account sent come back too: marked own, threaded on the customer.
        let isOwn = senderID == forUserID
        let customerID = isOwn ? (recipientID ?? senderID) : senderID
        let user = try users?.optional(senderID)
        var event = InboundEvent(
            platform: .x, accountID: forUserID, kind: .directMessage, eventID: id, messageID: id, threadKey: customerID,
            author: InboundAuthor(
                platformID: senderID, handle: try user?.optionalString("screen_name"),
                displayName: try user?.optionalString("name")),
            text: try data.optionalString("text").map(HTMLEntities.unescape),
            occurredAt: try node.field("created_timestamp").unixMilliseconds(), isOwn: isOwn)
        if let media = try data.optional("attachment")?.optional("media") {
            let type = try media.optionalString("type")
            let kind: InboundAttachment.Kind = type == "photo" ? .image : type == nil ? .other : .video
            event.attachments.append(
                InboundAttachment(
                    kind: kind, url: try media.optionalString("media_url_https"),
                    platformMediaID: try media.optionalID(anyOf: "id_str", "id")))
        }
        return event
    }
}

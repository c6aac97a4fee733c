import struct Foundation.Date

/// One Bot API `Message` object: text or caption, media, location, contact.
///
/// A message of a Telegram Business chat (`business_message`, `edited_business_message`) carries
/// the `business_connection_id` it came through: its thread is keyed apart from the bot's own chats
/// (``TelegramThread``) and replies go through that connection. Such a chat is private, so a
/// message whose sender is not the chat (the business account, or a bot on its behalf:
/// `sender_business_bot`) is our side's, marked own.
struct TelegramMessage {
    let node: JSONNode

    func event(updateID: Int64, kind: InboundEventKind) throws(WebhookError) -> InboundEvent {
        let chatID = try node.field("chat").id("id")
        let messageID = try node.id("message_id")
        let connection = try node.optionalString("business_connection_id").flatMap { $0.isEmpty ? nil : $0 }
        let from = try node.optional("from")
        var author: InboundAuthor?
        if let from {
            let first = try from.optionalString("first_name")
            let last = try from.optionalString("last_name")
            let name = [first, last].compactMap { $0 }.joined(separator: " ")
            author = InboundAuthor(
                platformID: try from.id("id"), handle: try from.optionalString("username"),
                displayName: name.isEmpty ? nil : name)
        }
        // An edit is dated when it was made; the original `date` stays the message's time.
        let editDate = try node.optional("edit_date")?.unixSeconds()
        let sentAt = try node.field("date").unixSeconds()
        let replyTo = try node.optional("reply_to_message")?.optionalID("message_id")
        let text = try node.optionalString(anyOf: "text", "caption")
        var event = InboundEvent(
            // `update_id` numbers every update, an edit included, and a retry repeats it (§7.5).
            platform: .telegram, accountID: nil, kind: kind, eventID: String(updateID),
            // Message ids are unique per chat only.
            messageID: TelegramThread.messageID(messageID, chatID: chatID, businessConnectionID: connection),
            threadKey: TelegramThread.key(chatID: chatID, businessConnectionID: connection),
            repliesToMessageID: replyTo.map {
                TelegramThread.messageID($0, chatID: chatID, businessConnectionID: connection)
            }, author: author, text: text,
            occurredAt: kind == .edit ? (editDate ?? sentAt) : sentAt,
            // Bots do not receive their own messages, and another bot in a group is not us; in a
            // business chat the business account's side is ours.
            isOwn: connection != nil && author.map { $0.platformID != chatID } == true,
            businessConnectionID: connection)
        try addAttachments(to: &event)
        if text == nil, event.attachments.isEmpty {
            event.isUnsupported = true
        }
        return event
    }

    private func addAttachments(to event: inout InboundEvent) throws(WebhookError) {
        let sizes = try node.optionalArray("photo")
        if let largest = sizes.last {
            event.attachments.append(InboundAttachment(kind: .image, platformMediaID: try largest.string("file_id")))
        }
        let files: [(String, InboundAttachment.Kind)] = [
            ("document", .file), ("video", .video), ("voice", .audio), ("audio", .audio), ("sticker", .sticker),
            ("animation", .video), ("video_note", .video),
        ]
        for (key, kind) in files {
            guard let file = try node.optional(key) else { continue }
            event.attachments.append(
                InboundAttachment(
                    kind: kind, mimeType: try file.optionalString("mime_type"),
                    platformMediaID: try file.string("file_id"), title: try file.optionalString("file_name")))
        }
        if let location = try node.optional("location") {
            guard case .number(let lat) = try location.field("latitude").value,
                case .number(let long) = try location.field("longitude").value
            else { throw .wrongType(location.path + ".latitude", expected: "number") }
            event.attachments.append(InboundAttachment(kind: .location, url: "geo:\(lat),\(long)"))
        }
        if let contact = try node.optional("contact") {
            event.attachments.append(
                InboundAttachment(
                    kind: .contact, title: try contact.optionalString(anyOf: "phone_number", "first_name")))
        }
    }
}

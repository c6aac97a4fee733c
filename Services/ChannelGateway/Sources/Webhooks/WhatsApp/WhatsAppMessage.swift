import struct Foundation.Date

/// One `messages[]` (or `message_echoes[]`) item of every documented type.
struct WhatsAppMessage {
    let node: JSONNode
    let phoneNumberID: String
    let contacts: [JSONNode]

    /// The customer: business-scoped `user_id` first, then the phone (`from`/`wa_id`), which is
    /// an empty string for users who adopted a username (CHANNELS.md §3.3a).
    private func customer(isEcho: Bool) throws(WebhookError) -> InboundAuthor {
        let phoneField = isEcho ? "to" : "from"
        let phone = try node.optionalString(phoneField).flatMap { $0.isEmpty ? nil : $0 }
        var contact: JSONNode?
        for candidate in contacts {
            let waID = try candidate.optionalString("wa_id")
            if contacts.count == 1 || (phone != nil && waID == phone) {
                contact = candidate
                break
            }
        }
        let userIDField = isEcho ? "to_user_id" : "from_user_id"
        let messageUserID = try node.optionalString(userIDField)
        let contactUserID = try contact?.optionalString("user_id")
        let contactWaID = try contact?.optionalString("wa_id").flatMap { $0.isEmpty ? nil : $0 }
        guard let id = contactUserID ?? messageUserID ?? phone ?? contactWaID else {
            throw .missingField(node.path + "." + phoneField)
        }
        let name = try contact?.optional("profile")?.optionalString("name")
        return InboundAuthor(platformID: id, handle: try contact?.optionalString("username"), displayName: name)
    }

    func event(isEcho: Bool) throws(WebhookError) -> InboundEvent {
        let messageID = try node.id("id")
        let type = try node.string("type")
        let customer = try customer(isEcho: isEcho)
        var event = InboundEvent(
            // Every message, reaction and echo has its own wamid (§3.5: dedupe on `messages[].id`).
            platform: .whatsapp, accountID: phoneNumberID, kind: .directMessage, eventID: messageID,
            messageID: messageID, threadKey: customer.platformID,
            repliesToMessageID: try node.optional("context")?.optionalString("id"),
            author: isEcho ? InboundAuthor(platformID: phoneNumberID) : customer,
            occurredAt: try node.field("timestamp").unixSeconds(), isOwn: isEcho)
        try fillContent(of: &event, type: type)
        return event
    }

    private func fillContent(of event: inout InboundEvent, type: String) throws(WebhookError) {
        switch type {
        case "text":
            event.text = try node.field("text").string("body")
        case "image", "video", "audio", "document", "sticker":
            let media = try node.field(type)
            let kind: InboundAttachment.Kind =
                switch type {
                case "image": .image
                case "video": .video
                case "audio": .audio
                case "sticker": .sticker
                default: .file
                }
            event.text = try media.optionalString("caption")
            event.attachments.append(
                InboundAttachment(
                    kind: kind, url: try media.optionalString("url"), mimeType: try media.optionalString("mime_type"),
                    platformMediaID: try media.id("id"), title: try media.optionalString("filename")))
        case "location":
            let location = try node.field("location")
            let latitude = try location.field("latitude").value
            let longitude = try location.field("longitude").value
            guard case .number(let lat) = latitude, case .number(let long) = longitude else {
                throw .wrongType(location.path + ".latitude", expected: "number")
            }
            let label = try location.optionalString(anyOf: "name", "address")
            event.attachments.append(InboundAttachment(kind: .location, url: "geo:\(lat),\(long)", title: label))
        case "contacts":
            for contact in try node.array("contacts") {
                let name = try contact.optional("name")?.optionalString("formatted_name")
                event.attachments.append(InboundAttachment(kind: .contact, title: name))
            }
        case "interactive":
            let interactive = try node.field("interactive")
            let reply = try interactive.optional(anyOf: "button_reply", "list_reply", "nfm_reply")
            guard let reply else { throw .missingField(interactive.path + ".button_reply") }
            event.text = try reply.optionalString(anyOf: "title", "body")
        case "button":
            event.text = try node.field("button").optionalString(anyOf: "text", "payload")
        case "reaction":
            let reaction = try node.field("reaction")
            event.kind = .reaction
            event.repliesToMessageID = try reaction.string("message_id")
            // A reaction without an emoji (absent or empty) takes the customer's reaction back.
            event.text = try reaction.optionalString("emoji").flatMap { $0.isEmpty ? nil : $0 }
            event.reactionRemoved = event.text == nil
        case "order":
            let order = try node.field("order")
            event.text = try order.optionalString("text")
            event.attachments.append(InboundAttachment(kind: .other, title: "order \(try order.id("catalog_id"))"))
        case "system":
            event.kind = .accountEvent
            event.text = try node.field("system").optionalString("body")
        case "edit":
            try fillEdit(of: &event)
        case "revoke":
            // The customer deleted an earlier message: a deletion of that message. A message is
            // revoked at most once, so `delete:<original id>` is unique per real event (and, as for
            // Messenger unsends, kept apart from the message's own id).
            let originalID = try node.field("revoke").id("original_message_id")
            event.kind = .deletion
            event.messageID = originalID
            event.eventID = "delete:\(originalID)"
        default:
            // "unsupported" and any type newer than this code.
            event.isUnsupported = true
        }
    }

    /// `type: "edit"`: the customer edited an earlier message (text, or a media caption). Shape
    /// per the Cloud API's edit webhook reference (not in CHANNELS.md; assumption written down):
    /// `edit: {original_message_id, message: {type, text: {body}} | {type, <type>: {caption}}}`.
    /// The event is about the original message, so that is its message id. The item's own `id`
    /// may be the original's (the reference does not say), so the event id adds the integer
    /// `timestamp` as sent: two edits differ, a re-delivery repeats both parts.
    private func fillEdit(of event: inout InboundEvent) throws(WebhookError) {
        let edit = try node.field("edit")
        let originalID = try edit.id("original_message_id")
        event.kind = .edit
        event.eventID = "edit:\(event.eventID):\(try node.field("timestamp").int64())"
        event.messageID = originalID
        guard let message = try edit.optional("message") else { return }
        if let text = try message.optional("text") {
            event.text = try text.optionalString("body")
        } else if let type = try message.optionalString("type"), let media = try message.optional(type),
            case .object = media.value
        {
            event.text = try media.optionalString("caption")
        }
        if let context = try message.optional("context") {
            event.repliesToMessageID = try context.optionalString("id")
        }
    }
}

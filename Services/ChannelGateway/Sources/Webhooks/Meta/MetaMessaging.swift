import struct Foundation.Date

/// Parses one `entry[].messaging[]` item, the Messenger-platform shape that Facebook Messenger and
/// Instagram DMs share: messages (text, attachments, echoes), deliveries, reads, reactions, edits
/// and postbacks.
///
/// Event ids (the inbound log keeps one event per channel and id, so two real events must never
/// share one and a re-delivery must repeat it): a message is its `mid`; everything else that
/// names a `mid` is prefixed with its kind (`delete:`, `delivery:`, `read:`, `reaction:`,
/// `edit:`, `postback:`) so it is never taken for the message it is about, and carries what makes
/// it one occurrence — the edit count, or the reaction and the platform's integer ms `timestamp`.
/// No id contains a formatted floating-point time.
///
/// Time: the item's `timestamp` (ms). Meta leaves it out of some receipts: a delivery or read
/// without one takes its time from its `watermark` (every message up to it was delivered or read
/// then), and anything else without one from `entryTime`, the batch's `entry.time` — the nearest
/// platform time there is. Ids that use the time then use that one; for an `entry.time` a
/// re-delivery in a re-stamped batch may get a new id, a duplicate rather than a lost event.
enum MetaMessaging {
    static func events(
        from item: JSONNode, accountID: String, platform: Platform, entryTime: Date?
    ) throws(WebhookError) -> [InboundEvent] {
        let senderID = try item.field("sender").id("id")
        let recipientID = try item.optional("recipient")?.optionalID("id")
        let isFromUs = senderID == accountID
        let customerID = isFromUs ? (recipientID ?? senderID) : senderID
        let stamp = try item.optional("timestamp")
        let receipt = try item.optional(anyOf: "delivery", "read")
        let occurredAt: Date
        if let stamp {
            occurredAt = try stamp.unixMilliseconds()
        } else if let watermark = try receipt?.optional("watermark") {
            occurredAt = try watermark.unixMilliseconds()
        } else if let entryTime {
            occurredAt = entryTime
        } else {
            throw .missingField(item.path + ".timestamp")
        }
        // `occurredAt` came from an integer ms value (or `entry.time`), so this is exact.
        let millis = (try stamp?.int64()) ?? Int64((occurredAt.timeIntervalSince1970 * 1000).rounded())
        var event = InboundEvent(
            platform: platform, accountID: accountID, kind: .directMessage, eventID: "", threadKey: customerID,
            author: InboundAuthor(platformID: senderID), occurredAt: occurredAt, isOwn: isFromUs)

        if let message = try item.optional("message") {
            return [try messageEvent(message, base: event)]
        }
        if let delivery = try item.optional("delivery") {
            let watermark = try delivery.optional("watermark")?.unixMilliseconds()
            let mids = try delivery.optionalArray("mids")
            event.kind = .deliveryStatus
            event.author = nil
            if mids.isEmpty {
                event.eventID = "delivery:\(customerID):\(try delivery.field("watermark").int64())"
                event.deliveryStatus = DeliveryStatusUpdate(
                    messageID: nil, state: .delivered, platformStatus: "delivery", watermark: watermark)
                return [event]
            }
            var events: [InboundEvent] = []
            for mid in mids {
                let messageID = try mid.string()
                event.eventID = "delivery:\(messageID)"
                event.messageID = messageID
                event.deliveryStatus = DeliveryStatusUpdate(
                    messageID: messageID, state: .delivered, platformStatus: "delivery", watermark: watermark)
                events.append(event)
            }
            return events
        }
        if let read = try item.optional("read") {
            event.kind = .deliveryStatus
            event.author = nil
            let messageID = try read.optionalString("mid")
            let watermark = try read.optional("watermark")?.unixMilliseconds()
            let watermarkText = try read.optional("watermark").map { (node) throws(WebhookError) in
                String(try node.int64())
            }
            guard let marker = messageID ?? watermarkText else { throw .missingField(read.path + ".watermark") }
            event.eventID = "read:\(customerID):\(marker)"
            event.messageID = messageID
            event.deliveryStatus = DeliveryStatusUpdate(
                messageID: messageID, state: .read, platformStatus: "read", watermark: watermark)
            return [event]
        }
        if let reaction = try item.optional("reaction") {
            let messageID = try reaction.id("mid")
            let action = (try reaction.optionalString("action")) ?? "react"
            let emoji = try reaction.optionalString(anyOf: "emoji", "reaction")
            event.kind = .reaction
            // React, unreact and react again to one message are three events: the action, the
            // emoji and the integer ms time tell them apart; a re-delivery repeats all of them.
            event.eventID = "reaction:\(messageID):\(action):\(emoji ?? ""):\(millis)"
            event.repliesToMessageID = messageID
            event.text = emoji
            event.reactionRemoved = action == "unreact"
            return [event]
        }
        if let edit = try item.optional("message_edit") {
            let messageID = try edit.id("mid")
            event.kind = .edit
            event.messageID = messageID
            let editCount = try edit.optional("num_edit")?.int64()
            // `num_edit` numbers the edits of one message; without it, the edit's integer ms time.
            event.eventID = editCount.map { "edit:\(messageID):\($0)" } ?? "edit:\(messageID):at:\(millis)"
            event.text = try edit.optionalString("text")
            return [event]
        }
        if let postback = try item.optional("postback") {
            let mid = try postback.optionalString("mid")
            // The postback's own `mid`, else who tapped and when (integer ms).
            event.eventID = mid.map { "postback:\($0)" } ?? "postback:\(senderID):\(millis)"
            event.messageID = mid
            event.text = try postback.optionalString(anyOf: "title", "payload")
            return [event]
        }
        // Typing indicators, optins, referrals, handovers: nothing a customer wrote.
        return []
    }

    private static func messageEvent(_ message: JSONNode, base: InboundEvent) throws(WebhookError) -> InboundEvent {
        var event = base
        let mid = try message.id("mid")
        event.eventID = mid
        event.messageID = mid
        let isEcho = try message.isTrue("is_echo")
        let isSelfTest = try message.isTrue("is_self")
        if isEcho || isSelfTest {
            event.isOwn = true
        }
        if try message.optionalBool("is_deleted") == true {
            // An unsend names the message it removes: keyed apart from it, or the log would drop
            // the deletion as a re-delivery of the message.
            event.kind = .deletion
            event.eventID = "delete:\(mid)"
            return event
        }
        event.text = try message.optionalString("text")
        event.repliesToMessageID = try message.optional("reply_to")?.optionalString("mid")
        for node in try message.optionalArray("attachments") {
            let (attachment, isSupported) = try Self.attachment(node)
            event.attachments.append(attachment)
            if !isSupported { event.isUnsupported = true }
        }
        if try message.optionalBool("is_unsupported") == true {
            event.isUnsupported = true
        }
        if event.text == nil, event.attachments.isEmpty {
            event.isUnsupported = true
        }
        return event
    }

    /// One `message.attachments[]` item and whether we can show it. `payload` is an object with
    /// `url` in the documented shapes, but legacy `fallback` shares (unsupported links, old
    /// shares) send it as a string or null with `url` and `title` beside it: a `payload` that is
    /// not an object is ignored instead of failing the message, and a top-level `url` counts. A
    /// `fallback` with a URL is a link; without one only its title is left (other, unsupported).
    private static func attachment(_ node: JSONNode) throws(WebhookError)
        -> (attachment: InboundAttachment, isSupported: Bool)
    {
        let type = (try node.optionalString("type")) ?? ""
        var url: String?
        if let payload = try node.optional("payload"), case .object = payload.value {
            url = try payload.optionalString("url")
        }
        if url == nil {
            url = try node.optionalString("url")
        }
        let kind: InboundAttachment.Kind
        var isSupported = true
        switch type {
        case "image": kind = .image
        case "video": kind = .video
        case "audio": kind = .audio
        case "file": kind = .file
        case "reel", "ig_reel", "share", "story_mention", "ig_post": kind = .share
        case "location": kind = .location
        case "sticker", "like_heart": kind = .sticker
        case "fallback" where url != nil: kind = .link
        default:
            kind = .other
            isSupported = false
        }
        return (InboundAttachment(kind: kind, url: url, title: try node.optionalString("title")), isSupported)
    }
}

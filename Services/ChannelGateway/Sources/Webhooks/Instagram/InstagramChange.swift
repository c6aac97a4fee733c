import struct Foundation.Date

/// One Instagram `comments` or `mentions` change value (CHANNELS.md §2.3 b–c).
struct InstagramChange {
    let value: JSONNode
    let accountID: String

    /// Keys the documented comment value has; anything else is content we do not understand.
    private static let knownCommentKeys: Set<String> = [
        "id", "comment_id", "from", "text", "parent_id", "media", "attachments", "timestamp", "created_time",
    ]

    private func occurredAt(entryTime: Date?) throws(WebhookError) -> Date {
        if let stamp = try value.optional(anyOf: "timestamp", "created_time") {
            return try stamp.unixSeconds()
        }
        guard let entryTime else { throw .missingField("entry.time") }
        return entryTime
    }

    func commentEvent(entryTime: Date?) throws(WebhookError) -> InboundEvent {
        guard let commentID = try value.optionalID(anyOf: "id", "comment_id") else {
            throw .missingField(value.path + ".id")
        }
        let from = try value.field("from")
        let authorID = try from.id("id")
        let media = try value.field("media")
        let mediaID = try media.id("id")
        let parentID = try value.optionalID("parent_id")
        let isPaid = try media.optionalID("ad_id") != nil
        // Own comment: `from.id` is our account; `self_ig_scoped_id` semantics are unconfirmed
        // (§2.3b), so it counts only when it also equals our account id.
        let selfScopedID = try from.optionalID("self_ig_scoped_id")
        var event = InboundEvent(
            platform: .instagram, accountID: accountID, kind: isPaid ? .darkPostComment : .comment,
            // The comments field fires once, when a comment is made (no edit or hide verbs), so
            // the comment id is unique per event and repeats on a re-delivery (§2.5).
            eventID: commentID, messageID: commentID, threadKey: "\(mediaID)/\(parentID ?? commentID)",
            parentPostID: mediaID, parentCommentID: parentID,
            author: InboundAuthor(platformID: authorID, handle: try from.optionalString("username")),
            text: try value.optionalString("text"), occurredAt: try occurredAt(entryTime: entryTime),
            isOwn: authorID == accountID || selfScopedID == accountID, isPaid: isPaid)
        try addAttachments(to: &event)
        if case .object(let members) = value.value,
            members.keys.contains(where: { !Self.knownCommentKeys.contains($0) })
        {
            event.isUnsupported = true
        }
        return event
    }

    /// The comments webhook documents no media field. Decision (CHANNELS.md §2.3b unconfirmed):
    /// accept Messenger-style `attachments[{type, payload{url}}]` (or `{type, url}`); a video →
    /// hidden "video attachment", more than one image → hidden "several images".
    private func addAttachments(to event: inout InboundEvent) throws(WebhookError) {
        var images = 0
        for attachment in try value.optionalArray("attachments") {
            let type = try attachment.string("type")
            let payloadURL = try attachment.optional("payload")?.optionalString("url")
            let flatURL = try attachment.optionalString("url")
            let url = payloadURL ?? flatURL
            switch type {
            case "image", "photo":
                images += 1
                event.attachments.append(InboundAttachment(kind: .image, url: url))
            case "video", "animated_gif", "gif":
                event.attachments.append(InboundAttachment(kind: .video, url: url))
                event.hiddenByPlatformRule = .videoAttachment
            default:
                event.attachments.append(InboundAttachment(kind: .other, url: url))
                event.isUnsupported = true
            }
        }
        if images > 1, event.hiddenByPlatformRule == nil {
            event.hiddenByPlatformRule = .severalImages
        }
    }

    /// Mentions carry ids only; the content must be fetched (``ContentFetch/instagramMention``).
    /// The id is `mention:` and the mentioning comment or media: one mention event per object, and
    /// the prefix keeps it apart from a comments-field event for the same comment.
    func mentionEvent(entryTime: Date?) throws(WebhookError) -> InboundEvent {
        let mediaID = try value.id("media_id")
        let commentID = try value.optionalID("comment_id")
        return InboundEvent(
            platform: .instagram, accountID: accountID, kind: .mention, eventID: "mention:\(commentID ?? mediaID)",
            messageID: commentID ?? mediaID, threadKey: commentID.map { "\(mediaID)/\($0)" } ?? mediaID,
            parentPostID: commentID == nil ? nil : mediaID,
            occurredAt: try occurredAt(entryTime: entryTime),
            contentFetch: .instagramMention(igUserID: accountID, mediaID: mediaID, commentID: commentID))
    }
}

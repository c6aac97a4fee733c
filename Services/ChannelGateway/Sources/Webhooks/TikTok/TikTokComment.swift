import struct Foundation.Date

/// The decoded `content` of a `comment.update` event (CHANNELS.md §6.3). Ids exceed 2^53 and are
/// kept as the exact digits.
struct TikTokComment {
    let content: JSONNode
    let businessID: String
    let envelopeTime: Date?
    /// The envelope's `create_time` in seconds, already range-checked as ``envelopeTime``.
    let envelopeSeconds: Int64?

    func event() throws(WebhookError) -> InboundEvent {
        let commentID = try content.id("comment_id")
        let videoID = try content.id("video_id")
        let action = try content.string("comment_action")
        let isReply = try content.optionalString("comment_type") == "reply"
        let parentID = try content.optionalID("parent_comment_id").flatMap { $0 == "0" ? nil : $0 }
        let topLevelID = isReply ? (parentID ?? commentID) : commentID
        let author = try content.optionalID("unique_identifier").map { InboundAuthor(platformID: $0) }
        let contentMillis = try content.optional("timestamp")?.int64()
        let occurredAt: Date
        if let stamp = try content.optional("timestamp") {
            occurredAt = try stamp.unixMilliseconds()
        } else if let envelopeTime {
            occurredAt = envelopeTime
        } else {
            throw .missingField("content.timestamp")
        }
        // Without `timestamp`, the envelope's time: `envelopeTime` exists, so `envelopeSeconds`
        // is within ±2^40 and times 1000 cannot overflow.
        let millis = contentMillis ?? envelopeSeconds.map { $0 * 1000 } ?? 0
        let kind: InboundEventKind
        var isUnsupported = false
        var visibility: CommentVisibility?
        switch action {
        case "insert": kind = .comment
        case "delete": kind = .deletion
        // Friends-only is no longer public: hidden (seen by the author and their friends only).
        case "set_to_hidden", "set_to_friends_only":
            kind = .visibilityChange
            visibility = .hidden
        case "set_to_public":
            kind = .visibilityChange
            visibility = .visible
        default:
            kind = .visibilityChange
            isUnsupported = true
        }
        let text = try content.optionalString("text")
        var event = InboundEvent(
            platform: .tiktok, accountID: businessID, kind: kind,
            // No event id exists: (comment_id, comment_action, timestamp) per CHANNELS.md §6.5. The
            // action alone repeats (hidden → public → hidden); its integer ms time does not, and a
            // re-delivery carries the same one.
            eventID: "\(commentID):\(action):\(millis)", messageID: commentID,
            threadKey: "\(videoID)/\(topLevelID)", parentPostID: videoID, parentCommentID: isReply ? parentID : nil,
            author: author, text: text, occurredAt: occurredAt, isUnsupported: isUnsupported, visibility: visibility)
        // Whether the payload carries the text is unconfirmed: without it, fetch the comment.
        if kind == .comment, text == nil {
            event.contentFetch = .tiktokComment(businessID: businessID, videoID: videoID, commentID: commentID)
        }
        return event
    }
}

import Foundation

/// One `tweet_create_events[]` item, a v1.1 Tweet object.
///
/// Kind: a reply to the subscribed account (`in_reply_to_user_id_str == for_user_id`) is a
/// comment, threaded `<tweet it answers>/<this tweet>` — v1.1 payloads carry no conversation id,
/// so deeper reply chains start new threads; otherwise a tweet mentioning the account is a
/// mention (its own thread); retweets and the account's own tweets are posts.
struct XTweet {
    let node: JSONNode
    let forUserID: String

    func event() throws(WebhookError) -> InboundEvent {
        guard let id = try node.optionalID(anyOf: "id_str", "id") else { throw .missingField(node.path + ".id_str") }
        let user = try node.field("user")
        let authorID = try user.id(anyOf: "id_str", "id")
        let replyToStatus = try node.optionalID(anyOf: "in_reply_to_status_id_str", "in_reply_to_status_id")
        let replyToUser = try node.optionalID(anyOf: "in_reply_to_user_id_str", "in_reply_to_user_id")
        let isOwn = authorID == forUserID
        let isRetweet = node.has("retweeted_status")
        var mentionsUs = false
        for mention in try node.optional("entities")?.optionalArray("user_mentions") ?? [] {
            if try mention.optionalID(anyOf: "id_str", "id") == forUserID { mentionsUs = true }
        }
        let kind: InboundEventKind
        if isOwn || isRetweet {
            kind = .post
        } else if replyToUser == forUserID, replyToStatus != nil {
            kind = .comment
        } else if mentionsUs {
            kind = .mention
        } else {
            kind = .post
        }
        let threadKey = kind == .comment ? "\(replyToStatus ?? id)/\(id)" : id
        return InboundEvent(
            platform: .x, accountID: forUserID, kind: kind, eventID: id, messageID: id, threadKey: threadKey,
            parentPostID: replyToStatus, repliesToMessageID: replyToStatus,
            author: InboundAuthor(
                platformID: authorID, handle: try user.optionalString("screen_name"),
                displayName: try user.optionalString("name")),
            text: try text().map(HTMLEntities.unescape), occurredAt: try occurredAt(), isOwn: isOwn)
    }

    /// `extended_tweet.full_text` for long posts, else `full_text`, else `text`.
    private func text() throws(WebhookError) -> String? {
        if let full = try node.optional("extended_tweet")?.optionalString("full_text") { return full }
        return try node.optionalString(anyOf: "full_text", "text")
    }

    /// `timestamp_ms` (ms string), else `created_at` (`Mon Mar 17 12:00:00 +0000 2026`).
    private func occurredAt() throws(WebhookError) -> Date {
        if let millis = try node.optional("timestamp_ms") { return try millis.unixMilliseconds() }
        let createdAt = try node.string("created_at")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.dateFormat = "EEE MMM dd HH:mm:ss Z yyyy"
        guard let date = formatter.date(from: createdAt) else {
            throw .invalidValue(node.path + ".created_at", reason: "not a Twitter date")
        }
        return date
    }
}

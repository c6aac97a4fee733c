import struct Foundation.Date

/// One notification object, identical in the webhook `notifications[]` and the pull finder's
/// `elements[]` (CHANNELS.md §5.3).
struct LinkedInNotification {
    let node: JSONNode

    func event() throws(WebhookError) -> InboundEvent {
        let notificationID = try node.id("notificationId")
        let organization = try node.string("organizationalEntity")
        let action = try node.string("action")
        let sourcePost = try node.optionalString("sourcePost")
        let decoratedPost = try node.optional("decoratedSourcePost")
        let decoratedPostID = try decoratedPost?.optionalString("entity")
        let postID = sourcePost ?? decoratedPostID
        let generated = try node.optionalString("generatedActivity")
        let activity = try node.optional("decoratedGeneratedActivity")?.optional(anyOf: "comment", "share")
        let activityID = try activity?.optionalString("entity")
        let contentID = activityID ?? generated
        let owner = try activity?.optionalString("owner")
        // The comment text has been seen at `.text` and at `.message.text` — both accepted.
        let directText = try activity?.optionalString(anyOf: "text", "commentary")
        let messageText = try activity?.optional("message")?.optionalString("text")

        let kind: InboundEventKind
        var isUnsupported = false
        switch action {
        case "COMMENT", "ADMIN_COMMENT": kind = .comment
        case "SHARE_MENTION": kind = .mention
        case "COMMENT_EDIT": kind = .edit
        case "COMMENT_DELETE": kind = .deletion
        case "LIKE": kind = .reaction
        case "SHARE": kind = .post
        default:
            kind = .post
            isUnsupported = true
        }
        let rootID = postID ?? contentID ?? notificationID
        let threadKey: String
        if kind == .mention || kind == .post || contentID == nil || contentID == rootID {
            threadKey = rootID
        } else {
            threadKey = "\(rootID)/\(contentID ?? "")"
        }
        return InboundEvent(
            // `notificationId` is LinkedIn's id of this one notification (a second edit of a
            // comment is a new notification), repeated by its 5-minute retries (§5.5).
            platform: .linkedin, accountID: organization, kind: kind, eventID: notificationID, messageID: contentID,
            threadKey: threadKey, parentPostID: postID, author: owner.map { InboundAuthor(platformID: $0) },
            text: directText ?? messageText, occurredAt: try node.field("lastModifiedAt").unixMilliseconds(),
            // ADMIN_COMMENT is a comment made by the page itself.
            isOwn: action == "ADMIN_COMMENT" || owner == organization, isUnsupported: isUnsupported)
    }
}

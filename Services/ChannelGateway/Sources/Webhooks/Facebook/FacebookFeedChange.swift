import struct Foundation.Date

/// One `feed` or `mention` change value: comments (organic and on ads/dark posts), replies,
/// visitor wall posts, page-authored content and mentions (CHANNELS.md §1.3 d–i).
///
/// Event ids: Meta sends no id for a change, and the same comment or post changes many times (a
/// second edit; hide → unhide → hide), so `<id>:<verb>` alone repeats and the inbound log would
/// drop the later change as a duplicate. Every id is the object's id, the verb and the change's
/// own `created_time` as the integer Meta sent (not `entry.time`: that is when Meta sent the
/// batch, which a retry may change, so a re-delivery would look new).
struct FacebookFeedChange {
    let value: JSONNode
    let pageID: String

    /// `from{id,name}` as documented for `feed`, or `sender_id`/`sender_name` as seen in `mention`
    /// and older payloads — both accepted.
    func author() throws(WebhookError) -> InboundAuthor? {
        if let from = try value.optional("from") {
            return InboundAuthor(platformID: try from.id("id"), displayName: try from.optionalString("name"))
        }
        if let senderID = try value.optionalID("sender_id") {
            return InboundAuthor(platformID: senderID, displayName: try value.optionalString("sender_name"))
        }
        return nil
    }

    private func occurredAt() throws(WebhookError) -> Date {
        try value.field("created_time").unixSeconds()
    }

    /// `created_time` as the integer it was sent as, for event ids.
    private func changeTime() throws(WebhookError) -> Int64 {
        try value.field("created_time").int64()
    }

    func event() throws(WebhookError) -> InboundEvent {
        let item = try value.string("item")
        let verb = try value.string("verb")
        switch item {
        case "comment": return try commentEvent(verb: verb)
        case "status", "photo", "video", "post", "share": return try postEvent(item: item, verb: verb)
        default: return try otherEvent(item: item, verb: verb)
        }
    }

    private func baseKind(verb: String, added: InboundEventKind) -> InboundEventKind {
        switch verb {
        case "edited", "edit", "update": .edit
        case "remove", "delete": .deletion
        case "hide", "unhide": .visibilityChange
        default: added
        }
    }

    private func commentEvent(verb: String) throws(WebhookError) -> InboundEvent {
        let postID = try value.id("post_id")
        let commentID = try value.id("comment_id")
        let parentID = try value.optionalID("parent_id")
        let parentCommentID = parentID.flatMap { $0 == postID ? nil : $0 }
        let author = try author()
        let post = try value.optional("post")
        // An ad creative / dark post is unpublished, or "ineligible" for boosting because it is one.
        let isUnpublished = try post?.optionalBool("is_published") == false
        let isAdCreative = try post?.optionalString("promotion_status") == "ineligible"
        let isPaid = isUnpublished || isAdCreative
        var event = InboundEvent(
            platform: .facebook, accountID: pageID,
            kind: baseKind(verb: verb, added: isPaid ? .darkPostComment : .comment),
            eventID: "\(commentID):\(verb):\(try changeTime())", messageID: commentID,
            threadKey: "\(postID)/\(parentCommentID ?? commentID)", parentPostID: postID,
            parentCommentID: parentCommentID, author: author, text: try value.optionalString("message"),
            occurredAt: try occurredAt(), isOwn: author?.platformID == pageID, isPaid: isPaid)
        if post == nil {
            event.contentFetch = .facebookPostVisibility(postID: postID)
        }
        if let photo = try value.optionalString("photo") {
            event.attachments.append(InboundAttachment(kind: .image, url: photo))
        }
        // Video and GIF comments both carry `video`; platform rule: never shown (DESIGN §3).
        if let video = try value.optionalString("video") {
            event.attachments.append(InboundAttachment(kind: .video, url: video))
            event.hiddenByPlatformRule = .videoAttachment
        }
        return event
    }

    private func postEvent(item: String, verb: String) throws(WebhookError) -> InboundEvent {
        let postID = try value.id("post_id")
        let author = try author()
        let isOwn = author?.platformID == pageID
        var event = InboundEvent(
            platform: .facebook, accountID: pageID, kind: baseKind(verb: verb, added: isOwn ? .post : .wallPost),
            eventID: "\(postID):\(verb):\(try changeTime())", messageID: postID, threadKey: postID, author: author,
            text: try value.optionalString("message"), occurredAt: try occurredAt(), isOwn: isOwn)
        let link = try value.optionalString("link")
        switch item {
        case "photo":
            let photos = try value.optionalArray("photos")
            if photos.isEmpty {
                event.attachments.append(
                    InboundAttachment(kind: .image, url: link, platformMediaID: try value.optionalID("photo_id")))
            }
            for photo in photos {
                event.attachments.append(InboundAttachment(kind: .image, url: try photo.string()))
            }
        case "video":
            event.attachments.append(
                InboundAttachment(kind: .video, url: link, platformMediaID: try value.optionalID("video_id")))
        case "share":
            event.attachments.append(InboundAttachment(kind: .share, url: link))
        default:
            break
        }
        return event
    }

    private func otherEvent(item: String, verb: String) throws(WebhookError) -> InboundEvent {
        // Reactions, likes and anything newer: stored, but not content we render.
        let postID = try value.id("post_id")
        let targetID = (try value.optionalID("comment_id")) ?? postID
        let author = try author()
        // A reaction added, removed and added again by one person differs only in its time.
        let eventID = "\(targetID):\(item):\(verb):\(author?.platformID ?? ""):\(try changeTime())"
        return InboundEvent(
            platform: .facebook, accountID: pageID, kind: item == "reaction" || item == "like" ? .reaction : .post,
            eventID: eventID, messageID: targetID, threadKey: postID, parentPostID: postID, author: author,
            text: try value.optionalString(anyOf: "reaction_type", "message"),
            occurredAt: try occurredAt(), isOwn: author?.platformID == pageID,
            isUnsupported: item != "reaction" && item != "like")
    }

    /// A `mention` change: the page was mentioned in a post or a comment.
    func mentionEvent() throws(WebhookError) -> InboundEvent {
        let postID = try value.id("post_id")
        let commentID = try value.optionalID("comment_id")
        let verb = (try value.optionalString("verb")) ?? "add"
        let author = try author()
        return InboundEvent(
            platform: .facebook, accountID: pageID, kind: baseKind(verb: verb, added: .mention),
            eventID: "mention:\(commentID ?? postID):\(verb):\(try changeTime())", messageID: commentID ?? postID,
            threadKey: commentID.map { "\(postID)/\($0)" } ?? postID, parentPostID: commentID == nil ? nil : postID,
            author: author, text: try value.optionalString("message"), occurredAt: try occurredAt(),
            isOwn: author?.platformID == pageID)
    }
}

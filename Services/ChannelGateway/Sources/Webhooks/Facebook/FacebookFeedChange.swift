import struct Foundation.Date

/// One `feed` or `mention` change value: comments (organic and on ads/dark posts), replies,
/// visitor wall posts, page-authored content and mentions (CHANNELS.md §1.3 d–i).
///
/// Event ids: Meta sends no id for a change, and the same comment or post changes many times (a
/// second edit; hide → unhide → hide), so `<id>:<verb>` alone repeats and the inbound log would
/// drop the later change as a duplicate. Every id is the object's id, the verb and the change's
/// own `created_time` as the integer Meta sent (not `entry.time`: that is when Meta sent the
/// batch, which a retry may change, so a re-delivery would look new).
///
/// Time: `created_time`, which real visitor posts and some feed changes leave out. Without it the
/// event is dated `entry.time`, the nearest platform time (when Meta sent the batch), and the id
/// ends in `untimed` plus — for anything but an `add`, which happens once per object — a digest
/// of the change's text, so that two edits differ while a re-delivery in a re-stamped batch
/// repeats its id.
struct FacebookFeedChange {
    let value: JSONNode
    let pageID: String
    /// The enclosing `entry.time`, for changes without `created_time`.
    let entryTime: Date?

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
        if let created = try value.optional("created_time") { return try created.unixSeconds() }
        guard let entryTime else { throw .missingField(value.path + ".created_time") }
        return entryTime
    }

    /// What makes the change one occurrence in its event id: `created_time` as the integer it was
    /// sent as, else `untimed` and (unless the verb is `add`) a digest of the text.
    private func changeTime(verb: String) throws(WebhookError) -> String {
        if let created = try value.optional("created_time") { return String(try created.int64()) }
        guard verb != "add" else { return "untimed" }
        let text = (try value.optionalString(anyOf: "message", "reaction_type")) ?? ""
        return "untimed:" + SignatureSupport.hex(Array(SignatureSupport.sha1(Array(text.utf8)).prefix(8)))
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

    /// What a `hide` or `unhide` makes of the comment or post; nil for every other verb.
    private static func visibility(verb: String) -> CommentVisibility? {
        switch verb {
        case "hide": .hidden
        case "unhide": .visible
        default: nil
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
        // Only an unpublished post is a dark (ad) post (CHANNELS.md §1.3e): a published post is
        // organic whatever its `promotion_status` — organic reels report "ineligible" too.
        let isPaid = try post?.optionalBool("is_published") == false
        var event = InboundEvent(
            platform: .facebook, accountID: pageID,
            kind: baseKind(verb: verb, added: isPaid ? .darkPostComment : .comment),
            eventID: "\(commentID):\(verb):\(try changeTime(verb: verb))", messageID: commentID,
            threadKey: "\(postID)/\(parentCommentID ?? commentID)", parentPostID: postID,
            parentCommentID: parentCommentID, author: author, text: try value.optionalString("message"),
            occurredAt: try occurredAt(), isOwn: author?.platformID == pageID, isPaid: isPaid,
            visibility: Self.visibility(verb: verb))
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
            eventID: "\(postID):\(verb):\(try changeTime(verb: verb))", messageID: postID, threadKey: postID,
            author: author,
            text: try value.optionalString("message"), occurredAt: try occurredAt(), isOwn: isOwn,
            visibility: Self.visibility(verb: verb))
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
        let isReaction = item == "reaction" || item == "like"
        let postID = try value.id("post_id")
        let targetID = (try value.optionalID("comment_id")) ?? postID
        let author = try author()
        // A reaction added, removed and added again by one person differs only in its time.
        let eventID = "\(targetID):\(item):\(verb):\(author?.platformID ?? ""):\(try changeTime(verb: verb))"
        return InboundEvent(
            platform: .facebook, accountID: pageID, kind: isReaction ? .reaction : .post,
            eventID: eventID, messageID: targetID, threadKey: postID, parentPostID: postID, author: author,
            text: try value.optionalString(anyOf: "reaction_type", "message"),
            occurredAt: try occurredAt(), isOwn: author?.platformID == pageID,
            // `add` and `edit` (another reaction type) leave a reaction; `remove` takes it back.
            isUnsupported: !isReaction, reactionRemoved: isReaction && verb == "remove")
    }

    /// A `mention` change: the page was mentioned in a post or a comment.
    func mentionEvent() throws(WebhookError) -> InboundEvent {
        let postID = try value.id("post_id")
        let commentID = try value.optionalID("comment_id")
        let verb = (try value.optionalString("verb")) ?? "add"
        let author = try author()
        return InboundEvent(
            platform: .facebook, accountID: pageID, kind: baseKind(verb: verb, added: .mention),
            eventID: "mention:\(commentID ?? postID):\(verb):\(try changeTime(verb: verb))",
            messageID: commentID ?? postID,
            threadKey: commentID.map { "\(postID)/\($0)" } ?? postID, parentPostID: commentID == nil ? nil : postID,
            author: author, text: try value.optionalString("message"), occurredAt: try occurredAt(),
            isOwn: author?.platformID == pageID, visibility: Self.visibility(verb: verb))
    }
}

import PlatformJSON

/// Facebook and Instagram payloads beside the first ones (WebhookPayloads.swift): Messenger edits
/// and unsends, a visitor's post on the Page and a mention of it, Instagram DMs and comments, in
/// the CHANNELS.md §1.3 and §2.3 shapes. Sign them with ``MetaWebhookSigner``.
extension WebhookPayloads {
    /// Messenger edit of a customer's message (§1.3, `message_edits`): the new text and the edit's
    /// number (`num_edit`, 1 for the first); `timestamp` in ms.
    public static func messengerEdit(
        pageID: String, senderPSID: String, mid: String, text: String, editNumber: Int64, timestamp: Int64
    ) -> WireJSON {
        messagingItem(
            object: "page", accountID: pageID, senderID: senderPSID, timestamp: timestamp,
            item: ["message_edit": ["mid": .string(mid), "text": .string(text), "num_edit": .int(editNumber)]])
    }

    /// Messenger unsend (§1.3a): the customer removed message `mid`; `timestamp` in ms.
    public static func messengerDeletion(pageID: String, senderPSID: String, mid: String, timestamp: Int64)
        -> WireJSON
    {
        messagingItem(
            object: "page", accountID: pageID, senderID: senderPSID, timestamp: timestamp,
            item: ["message": ["mid": .string(mid), "is_deleted": true]])
    }

    /// A visitor's post on the Page's wall (§1.3f: `feed`, `item: status`, `verb: add`, from
    /// someone other than the Page); `createdTime` in seconds.
    public static func facebookVisitorPost(
        pageID: String, postID: String, fromID: String, fromName: String, message: String, createdTime: Int64
    ) -> WireJSON {
        pageChange(
            pageID: pageID, field: "feed", time: createdTime + 5,
            value: [
                "from": ["id": .string(fromID), "name": .string(fromName)], "item": "status", "verb": "add",
                "post_id": .string(postID), "published": 1, "created_time": .int(createdTime),
                "message": .string(message),
            ])
    }

    /// The Page mentioned in someone's post (§1.3h, the `mention` field, with `sender_id` and
    /// `sender_name` as Meta sends them there); `createdTime` in seconds.
    public static func facebookMention(
        pageID: String, postID: String, senderID: String, senderName: String, message: String, createdTime: Int64
    ) -> WireJSON {
        pageChange(
            pageID: pageID, field: "mention", time: createdTime + 5,
            value: [
                "item": "post", "verb": "add", "post_id": .string(postID), "sender_id": .string(senderID),
                "sender_name": .string(senderName), "created_time": .int(createdTime), "message": .string(message),
            ])
    }

    /// Instagram DM (§2.3a): the Messenger-platform item under `object: instagram`, the IG user id
    /// as the entry's id; `timestamp` in ms.
    public static func instagramMessage(
        igUserID: String, senderIGSID: String, mid: String, text: String, timestamp: Int64
    )
        -> WireJSON
    {
        messagingItem(
            object: "instagram", accountID: igUserID, senderID: senderIGSID, timestamp: timestamp,
            item: ["message": ["mid": .string(mid), "text": .string(text)]])
    }

    /// Instagram comment (§2.3b, the `comments` field) on media `mediaID`. `adID` makes it a
    /// comment on an ad; `imageURLs` are its image attachments (more than one: hidden by platform
    /// rule). Comment values carry no time of their own: `entryTime` (Unix seconds, Meta's
    /// `entry.time`) dates them.
    public static func instagramComment(
        igUserID: String, mediaID: String, commentID: String, fromID: String, username: String, text: String?,
        entryTime: Int64, adID: String? = nil, imageURLs: [String] = []
    ) -> WireJSON {
        var media: [String: WireJSON] = ["id": .string(mediaID), "media_product_type": "FEED"]
        if let adID {
            media["ad_id"] = .string(adID)
            media["ad_title"] = "Autumn sale"
        }
        var value: [String: WireJSON] = [
            "from": ["id": .string(fromID), "username": .string(username)], "id": .string(commentID),
            "media": .object(media),
        ]
        if let text { value["text"] = .string(text) }
        if !imageURLs.isEmpty {
            value["attachments"] = .array(
                imageURLs.map { url -> WireJSON in ["type": "image", "payload": ["url": .string(url)]] })
        }
        return [
            "object": "instagram",
            "entry": [
                [
                    "id": .string(igUserID), "time": .int(entryTime),
                    "changes": [["field": "comments", "value": .object(value)]],
                ]
            ],
        ]
    }

    /// One `changes[]` item of a Page's entry (`feed`, `mention`); `time` is `entry.time` in seconds.
    static func pageChange(pageID: String, field: String, time: Int64, value: [String: WireJSON]) -> WireJSON {
        [
            "object": "page",
            "entry": [
                [
                    "id": .string(pageID), "time": .int(time),
                    "changes": [["field": .string(field), "value": .object(value)]],
                ]
            ],
        ]
    }

    /// One `messaging[]` item from the customer `senderID` to the account: `item` holds what it
    /// is about (`message`, `message_edit`, ...).
    private static func messagingItem(
        object: String, accountID: String, senderID: String, timestamp: Int64, item: [String: WireJSON]
    ) -> WireJSON {
        var messaging: [String: WireJSON] = [
            "sender": ["id": .string(senderID)], "recipient": ["id": .string(accountID)], "timestamp": .int(timestamp),
        ]
        messaging.merge(item) { _, new in new }
        return [
            "object": .string(object),
            "entry": [["id": .string(accountID), "time": .int(timestamp + 23), "messaging": [.object(messaging)]]],
        ]
    }
}

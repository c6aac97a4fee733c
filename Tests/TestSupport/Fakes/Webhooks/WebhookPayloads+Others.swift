import PlatformJSON

/// X, LinkedIn, TikTok, Telegram, Twilio and WeChat payloads.
extension WebhookPayloads {
    /// X Account Activity DM (§4.3a); `createdTimestamp` ms, sent as a string.
    public static func xDirectMessage(
        forUserID: String, eventID: String, senderID: String, senderScreenName: String, text: String,
        createdTimestamp: Int64
    ) -> WireJSON {
        [
            "for_user_id": .string(forUserID),
            "direct_message_events": [
                [
                    "type": "message_create", "id": .string(eventID),
                    "created_timestamp": .string(String(createdTimestamp)),
                    "message_create": [
                        "target": ["recipient_id": .string(forUserID)], "sender_id": .string(senderID),
                        "message_data": [
                            "text": .string(text),
                            "entities": ["hashtags": [], "symbols": [], "user_mentions": [], "urls": []],
                        ],
                    ],
                ]
            ],
            "users": [
                senderID: [
                    "id": .string(senderID), "name": .string(senderScreenName),
                    "screen_name": .string(senderScreenName),
                ]
            ],
        ]
    }

    /// X mention (§4.3b): a v1.1 Tweet in `tweet_create_events`, `id` both as number and `id_str`.
    public static func xMention(
        forUserID: String, forScreenName: String, tweetID: Int64, authorID: String, authorScreenName: String,
        text: String, timestampMs: Int64
    ) -> WireJSON {
        [
            "for_user_id": .string(forUserID), "user_has_blocked": false,
            "tweet_create_events": [
                [
                    "created_at": "Mon Mar 17 12:00:00 +0000 2026", "id": .int(tweetID),
                    "id_str": .string(String(tweetID)),
                    "text": .string(text), "truncated": false,
                    "user": [
                        "id_str": .string(authorID), "screen_name": .string(authorScreenName),
                        "name": .string(authorScreenName),
                    ],
                    "entities": [
                        "hashtags": [], "urls": [],
                        "user_mentions": [
                            ["screen_name": .string(forScreenName), "id_str": .string(forUserID), "indices": [0, 13]]
                        ],
                    ],
                    "timestamp_ms": .string(String(timestampMs)),
                ]
            ],
        ]
    }

    /// LinkedIn COMMENT notification (§5.3).
    public static func linkedInComment(
        notificationID: Int64, organizationURN: String, activityURN: String, commentID: String,
        authorURN: String, text: String, lastModifiedAt: Int64
    ) -> WireJSON {
        let commentURN = "urn:li:comment:(\(activityURN),\(commentID))"
        return [
            "type": "ORGANIZATION_SOCIAL_ACTION_NOTIFICATIONS",
            "notifications": [
                [
                    "notificationId": .int(notificationID), "organizationalEntity": .string(organizationURN),
                    "action": "COMMENT", "sourcePost": .string(activityURN),
                    "decoratedSourcePost": [
                        "owner": .string(organizationURN), "mediaCategory": "NONE", "text": "Our post",
                        "entity": "urn:li:share:7094637247487995904",
                    ],
                    "generatedActivity": .string(commentURN),
                    "decoratedGeneratedActivity": [
                        "comment": [
                            "owner": .string(authorURN), "text": .string(text), "entity": .string(commentURN),
                            "object": .string(activityURN),
                        ]
                    ],
                    "lastModifiedAt": .int(lastModifiedAt), "subscriber": .string(authorURN),
                ]
            ],
        ]
    }

    /// TikTok `comment.update` (§6.3). `content` is a JSON string whose ids are bare numbers beyond
    /// 2^53, as TikTok sends them; `text` is included only when given (both variants exist).
    public static func tiktokCommentUpdate(
        clientKey: String, businessOpenID: String, commentID: UInt64, videoID: UInt64, parentCommentID: UInt64?,
        action: String, uniqueIdentifier: String, text: String?, createTime: Int64, timestampMs: Int64
    ) -> WireJSON {
        var inner = "{\"comment_id\":\(commentID),\"video_id\":\(videoID)"
        if let parentCommentID { inner += ",\"parent_comment_id\":\(parentCommentID)" }
        inner += ",\"comment_type\":\"\(parentCommentID == nil ? "comment" : "reply")\""
        inner += ",\"comment_action\":\"\(action)\",\"unique_identifier\":\"\(uniqueIdentifier)\""
        if let text { inner += ",\"text\":" + String(decoding: WireJSON.string(text).encoded, as: UTF8.self) }
        inner += ",\"timestamp\":\(timestampMs)}"
        return [
            "client_key": .string(clientKey), "event": "comment.update", "create_time": .int(createTime),
            "user_openid": .string(businessOpenID), "content": .string(inner),
        ]
    }

    /// Telegram private-chat text message update (§7.3).
    public static func telegramMessage(
        updateID: Int64, messageID: Int64, chatID: Int64, firstName: String, username: String, text: String,
        date: Int64
    ) -> WireJSON {
        let user: WireJSON = [
            "id": .int(chatID), "is_bot": false, "first_name": .string(firstName), "username": .string(username),
        ]
        return [
            "update_id": .int(updateID),
            "message": [
                "message_id": .int(messageID), "from": user,
                "chat": [
                    "id": .int(chatID), "first_name": .string(firstName), "username": .string(username),
                    "type": "private",
                ],
                "date": .int(date), "text": .string(text),
            ],
        ]
    }

    /// Twilio incoming SMS form parameters (§8.3a).
    public static func twilioSMS(accountSID: String, messageSID: String, from: String, to: String, body: String)
        -> [(String, String)]
    {
        [
            ("ToCountry", "US"), ("SmsMessageSid", messageSID), ("NumMedia", "0"), ("SmsSid", messageSID),
            ("SmsStatus", "received"), ("Body", body), ("To", to), ("NumSegments", "1"), ("MessageSid", messageSID),
            ("AccountSid", accountSID), ("From", from), ("ApiVersion", "2010-04-01"),
        ]
    }

    /// Twilio status callback form parameters (§8.3b); `errorCode` on failures.
    public static func twilioStatusCallback(
        accountSID: String, messageSID: String, status: String, from: String, to: String, errorCode: Int? = nil
    ) -> [(String, String)] {
        var params = [
            ("MessageSid", messageSID), ("MessageStatus", status), ("SmsSid", messageSID), ("SmsStatus", status),
            ("AccountSid", accountSID), ("From", from), ("To", to), ("ApiVersion", "2010-04-01"),
        ]
        if let errorCode { params.append(("ErrorCode", String(errorCode))) }
        return params
    }

    /// WeChat text push (§9.3a).
    public static func weChatText(
        toUserName: String, fromOpenID: String, content: String, msgID: UInt64, createTime: Int64
    )
        -> String
    {
        "<xml><ToUserName><![CDATA[\(toUserName)]]></ToUserName><FromUserName><![CDATA[\(fromOpenID)]]></FromUserName>"
            + "<CreateTime>\(createTime)</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            + "<Content><![CDATA[\(content)]]></Content><MsgId>\(msgID)</MsgId></xml>"
    }
}

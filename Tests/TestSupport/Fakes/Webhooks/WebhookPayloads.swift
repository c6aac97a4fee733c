import PlatformJSON

/// Builders for inbound webhook payloads in the exact CHANNELS.md shapes, so tests and the demo
/// can fire realistic events. Sign them with the platform's signer before posting.
public enum WebhookPayloads {
    /// Messenger text message (§1.3a); `timestamp` in ms.
    public static func messengerText(pageID: String, senderPSID: String, mid: String, text: String, timestamp: Int64)
        -> WireJSON
    {
        [
            "object": "page",
            "entry": [
                [
                    "id": .string(pageID), "time": .int(timestamp + 23),
                    "messaging": [
                        [
                            "sender": ["id": .string(senderPSID)], "recipient": ["id": .string(pageID)],
                            "timestamp": .int(timestamp), "message": ["mid": .string(mid), "text": .string(text)],
                        ]
                    ],
                ]
            ],
        ]
    }

    /// Messenger echo of a message the Page sent (§1.3c, the `message_echoes` field): sender the
    /// Page, recipient the customer, `is_echo` with the sending app's id; `timestamp` in ms.
    public static func messengerEcho(
        pageID: String, recipientPSID: String, mid: String, text: String, appID: Int64, timestamp: Int64
    ) -> WireJSON {
        [
            "object": "page",
            "entry": [
                [
                    "id": .string(pageID), "time": .int(timestamp + 31),
                    "messaging": [
                        [
                            "sender": ["id": .string(pageID)], "recipient": ["id": .string(recipientPSID)],
                            "timestamp": .int(timestamp),
                            "message": [
                                "is_echo": true, "app_id": .int(appID), "mid": .string(mid), "text": .string(text),
                            ],
                        ]
                    ],
                ]
            ],
        ]
    }

    /// Facebook feed comment on a Page post (§1.3d, organic; §1.3e with `isPublished: false` for a
    /// dark post); `createdTime` in seconds. `video` is the URL of a video (or GIF) comment, which
    /// Meta sends with or without a `message` (platform rule: never shown, DESIGN §3).
    public static func feedComment(
        pageID: String, postID: String, commentID: String, fromID: String, fromName: String, message: String?,
        createdTime: Int64, isPublished: Bool = true, video: String? = nil
    ) -> WireJSON {
        var value: [String: WireJSON] = [
            "from": ["id": .string(fromID), "name": .string(fromName)], "item": "comment", "verb": "add",
            "post_id": .string(postID), "comment_id": .string(commentID), "parent_id": .string(postID),
            "created_time": .int(createdTime),
            "post": [
                "id": .string(postID), "status_type": "added_photos", "is_published": .bool(isPublished),
                "updated_time": "2026-09-01T10:00:00+0000",
                "promotion_status": isPublished ? "inactive" : "ineligible",
            ],
        ]
        if let message { value["message"] = .string(message) }
        if let video { value["video"] = .string(video) }
        return pageChange(pageID: pageID, field: "feed", time: createdTime + 5, value: value)
    }

    /// WhatsApp inbound text (§3.3a); `timestamp` is a string of Unix seconds, as WhatsApp sends it.
    public static func whatsAppText(
        wabaID: String, phoneNumberID: String, displayPhoneNumber: String, from: String, profileName: String,
        messageID: String, text: String, timestamp: Int64
    ) -> WireJSON {
        whatsAppEnvelope(
            wabaID: wabaID, phoneNumberID: phoneNumberID, displayPhoneNumber: displayPhoneNumber,
            extra: [
                "contacts": [["profile": ["name": .string(profileName)], "wa_id": .string(from)]],
                "messages": [
                    [
                        "from": .string(from), "id": .string(messageID), "timestamp": .string(String(timestamp)),
                        "type": "text", "text": ["body": .string(text)],
                    ]
                ],
            ])
    }

    /// WhatsApp status of an outbound message (§3.3c); `failed` carries `errors[]` with `errorCode`.
    public static func whatsAppStatus(
        wabaID: String, phoneNumberID: String, messageID: String, status: String, recipientID: String,
        timestamp: Int64, errorCode: Int? = nil
    ) -> WireJSON {
        var item: [String: WireJSON] = [
            "id": .string(messageID), "status": .string(status), "timestamp": .string(String(timestamp)),
            "recipient_id": .string(recipientID),
        ]
        if let errorCode {
            let text = errorCode == 131_047 ? "Re-engagement message" : "Error \(errorCode)"
            let details =
                errorCode == 131_047
                ? "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
                : text
            item["errors"] = [
                [
                    "code": .int(Int64(errorCode)), "title": .string(text), "message": .string(text),
                    "error_data": ["details": .string(details)],
                ]
            ]
        } else {
            item["pricing"] = [
                "billable": false, "pricing_model": "PMP", "type": "free_customer_service", "category": "service",
            ]
        }
        return whatsAppEnvelope(
            wabaID: wabaID, phoneNumberID: phoneNumberID, displayPhoneNumber: "15550783881",
            extra: ["statuses": [.object(item)]])
    }

    private static func whatsAppEnvelope(
        wabaID: String, phoneNumberID: String, displayPhoneNumber: String, extra: [String: WireJSON]
    ) -> WireJSON {
        var value: [String: WireJSON] = [
            "messaging_product": "whatsapp",
            "metadata": [
                "display_phone_number": .string(displayPhoneNumber), "phone_number_id": .string(phoneNumberID),
            ],
        ]
        value.merge(extra) { _, new in new }
        return [
            "object": "whatsapp_business_account",
            "entry": [["id": .string(wabaID), "changes": [["field": "messages", "value": .object(value)]]]],
        ]
    }
}

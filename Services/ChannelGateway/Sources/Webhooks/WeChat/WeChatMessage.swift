import struct Foundation.Date

/// One decrypted WeChat push: a user message (text, image, voice, video, shortvideo, location,
/// link) or an event (subscribe, CLICK, SCAN, …).
struct WeChatMessage {
    let xml: SimpleXMLElement

    private func required(_ name: String) throws(WebhookError) -> String {
        guard let value = xml.childText(name), !value.isEmpty else { throw .missingField("xml.\(name)") }
        return value
    }

    func event() throws(WebhookError) -> InboundEvent {
        let account = try required("ToUserName")
        let openID = try required("FromUserName")
        let createTime = try required("CreateTime")
        guard let seconds = Int64(createTime), seconds > -(1 << 40), seconds < 1 << 40 else {
            throw .invalidValue("xml.CreateTime", reason: "\(createTime.prefix(20)) is not Unix seconds")
        }
        let type = try required("MsgType")
        let msgID = xml.childText("MsgId").flatMap { $0.isEmpty ? nil : $0 }
        if let msgID, !msgID.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
            throw .invalidValue("xml.MsgId", reason: "not a 64-bit integer")
        }
        var event = InboundEvent(
            platform: .wechat, accountID: account, kind: .directMessage,
            // A message is its MsgId. Without one (events, §9.3c): FromUserName + CreateTime and
            // what happened, so that two things one user does in the same second stay two.
            eventID: msgID ?? "\(openID):\(seconds):\(type)", messageID: msgID, threadKey: openID,
            author: InboundAuthor(platformID: openID), occurredAt: Date(timeIntervalSince1970: Double(seconds)))
        switch type {
        case "text":
            event.text = try required("Content")
        case "image":
            event.attachments.append(
                InboundAttachment(kind: .image, url: xml.childText("PicUrl"), platformMediaID: try required("MediaId")))
        case "voice":
            event.attachments.append(
                InboundAttachment(
                    kind: .audio, mimeType: xml.childText("Format").map { "audio/\($0.lowercased())" },
                    platformMediaID: try required("MediaId")))
            event.text = xml.childText("Recognition").flatMap { $0.isEmpty ? nil : $0 }
        case "video", "shortvideo":
            event.attachments.append(InboundAttachment(kind: .video, platformMediaID: try required("MediaId")))
        case "location":
            let latitude = try required("Location_X")
            let longitude = try required("Location_Y")
            guard Double(latitude) != nil, Double(longitude) != nil else {
                throw .invalidValue("xml.Location_X", reason: "not a coordinate")
            }
            event.attachments.append(
                InboundAttachment(kind: .location, url: "geo:\(latitude),\(longitude)", title: xml.childText("Label")))
        case "link":
            event.attachments.append(
                InboundAttachment(kind: .link, url: try required("Url"), title: xml.childText("Title")))
            event.text = xml.childText("Description")
        case "event":
            event.kind = .accountEvent
            let name = try required("Event")
            let key = xml.childText("EventKey").flatMap { $0.isEmpty ? nil : $0 }
            event.text = key.map { "\(name) \($0)" } ?? name
            if msgID == nil {
                // The event and its key: a menu click and a second click in the same second differ.
                event.eventID = "\(openID):\(seconds):\(name)" + (key.map { ":\($0)" } ?? "")
            }
        default:
            event.isUnsupported = true
        }
        return event
    }
}

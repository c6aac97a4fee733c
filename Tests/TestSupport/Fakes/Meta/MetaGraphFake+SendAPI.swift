import Foundation

/// Facebook and Instagram: the Send API (one private reply per comment or visitor post, a second
/// answered with error 10900 as Graph does), public comment replies and object reads.
extension MetaGraphFake {
    func sendAPI(_ request: FakeRequest) -> FakeResponse {
        guard let body = request.json, let recipient = body["recipient"] else {
            return MetaGraphErrors.missingParameter("recipient", flavour: flavour)
        }
        guard let text = body["message"]?["text"]?.text, !text.isEmpty else {
            return MetaGraphErrors.missingParameter("message", flavour: flavour)
        }
        let recipientID: String
        if let id = recipient["id"]?.text {
            let type = body["messaging_type"]?.text
            if flavour == .facebook, type == nil {
                return MetaGraphErrors.missingParameter("messaging_type", flavour: flavour)
            }
            if type == "MESSAGE_TAG", body["tag"]?.text != "HUMAN_AGENT" {
                return MetaGraphErrors.response(code: 100, flavour: flavour)
            }
            recipientID = id
        } else if let target = recipient["comment_id"]?.text
            ?? (flavour == .facebook ? recipient["post_id"]?.text : nil)
        {
            // One private reply per comment or visitor post: a second one is Graph error 10900.
            guard privateReplies.withLock({ $0.insert(target).inserted }) else {
                return MetaGraphErrors.response(code: 10_900, flavour: flavour)
            }
            recipientID = String(7_000_000_000_000_000 + host.nextNumber())
        } else {
            return MetaGraphErrors.missingParameter("recipient.id", flavour: flavour)
        }
        let prefix = flavour == .facebook ? "m_fake" : "aWdfZAfake"
        let messageID = "\(prefix)\(host.nextNumber())"
        sentMessages.withLock { $0[messageID] = (recipientID: recipientID, text: text) }
        return .json(200, ["recipient_id": .string(recipientID), "message_id": .string(messageID)])
    }

    func commentReply(_ request: FakeRequest) -> FakeResponse {
        let message =
            request.json?["message"]?.text ?? request.form.first { $0.0 == "message" }?.1 ?? request.query["message"]
        guard let message, !message.isEmpty else {
            return MetaGraphErrors.missingParameter("message", flavour: flavour)
        }
        let parent = request.segments[1]
        let id =
            flavour == .facebook
            ? "\(parent.split(separator: "_").last ?? "0")_\(900_000_000 + host.nextNumber())"
            : String(17_873_440_459_000_000 + host.nextNumber())
        return .json(200, ["id": .string(id)])
    }

    func objectRead(_ request: FakeRequest) -> FakeResponse {
        let objectID = request.segments[1]
        let fields = request.query["fields"] ?? ""
        if flavour == .facebook, let post = posts.withLock({ $0[objectID] }) {
            return .json(
                200,
                [
                    "id": .string(objectID), "is_published": .bool(post.isPublished),
                    "promotion_status": .string(post.promotionStatus),
                ])
        }
        if flavour == .instagram, accountIDs.contains(objectID) {
            for (field, key) in [("mentioned_comment.comment_id(", "text"), ("mentioned_media.media_id(", "caption")] {
                guard let start = fields.range(of: field), let end = fields[start.upperBound...].firstIndex(of: ")")
                else { continue }
                let id = String(fields[start.upperBound..<end])
                guard let mention = mentions.withLock({ $0[id] }) else { break }
                let name = String(field.prefix { $0 != "." })
                return .json(
                    200,
                    [
                        name: [
                            key: .string(mention.text), "username": .string(mention.username), "id": .string(id),
                            "timestamp": "2026-09-01T10:00:00+0000",
                        ],
                        "id": .string(objectID),
                    ])
            }
        }
        return MetaGraphErrors.response(code: 100, subcode: 33, flavour: flavour)
    }
}

import PlatformJSON

/// The Messenger Platform Send API (`POST /{id}/messages`) shared by Facebook and Instagram:
/// body building for direct messages, HUMAN_AGENT-tagged messages and private replies.
enum MetaSendAPI {
    /// The JSON body, or nil when `kind` is not a Send API kind.
    /// `includeResponseType` adds `messaging_type: RESPONSE` to plain DMs (Messenger and IG via
    /// Facebook Login do; the IG Login docs show the body without it). `metadata` is Messenger's
    /// `message.metadata`, which comes back in the `message_echoes` webhook (CHANNELS.md §1.3c):
    /// Facebook sends the idempotency key there so an echo can be matched to its delivery.
    static func body(for message: OutboundMessage, includeResponseType: Bool, metadata: String?) -> WireJSON? {
        var content: [String: WireJSON] = ["text": .string(message.text)]
        if let metadata { content["metadata"] = .string(metadata) }
        let text = WireJSON.object(content)
        switch message.kind {
        case .directMessage(let recipientID):
            var body: [String: WireJSON] = ["recipient": ["id": .string(recipientID)], "message": text]
            if includeResponseType { body["messaging_type"] = "RESPONSE" }
            return .object(body)
        case .humanAgentMessage(let recipientID):
            return [
                "recipient": ["id": .string(recipientID)], "messaging_type": "MESSAGE_TAG", "tag": "HUMAN_AGENT",
                "message": text,
            ]
        case .privateReply(.comment(let id)):
            return ["recipient": ["comment_id": .string(id)], "message": text]
        case .privateReply(.visitorPost(let id)):
            return ["recipient": ["post_id": .string(id)], "message": text]
        default:
            return nil
        }
    }

    static func jsonRequest(url: String, token: String, body: WireJSON) -> PlatformRequest {
        PlatformRequest(
            method: "POST", url: url,
            headers: ["authorization": "Bearer \(token)", "content-type": "application/json"],
            body: body.encoded)
    }

    /// Whether `kind` is a private reply (one per comment or visitor post; Graph error 10900 when
    /// it already has one).
    static func isPrivateReply(_ kind: OutboundKind) -> Bool {
        if case .privateReply = kind { return true }
        return false
    }

    /// Send API answers `message_id`; comment endpoints answer `id`.
    static func successID(_ json: WireJSON) -> String? {
        json["message_id"]?.text ?? json["id"]?.text
    }
}

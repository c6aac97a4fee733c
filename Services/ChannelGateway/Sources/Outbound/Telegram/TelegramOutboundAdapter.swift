import PlatformJSON

/// Telegram Bot API `sendMessage`. Quotes the customer's message with `reply_parameters`
/// (`allow_sending_without_reply` so a deleted original does not fail the reply).
///
/// The platform message id is `result.message_id`; it is unique within the chat only, which is
/// how the inbound side identifies Telegram messages too (`chat.id`, `message_id`).
/// 403 (blocked by the user, cannot initiate) and 400 "chat not found" mean the recipient cannot be
/// reached; 401/404 mean the bot token is wrong (Telegram answers 404 for unknown tokens).
///
/// A reply into a Telegram Business chat carries the `business_connection_id` of the customer's
/// `business_message` (``OutboundMessage/businessConnectionID``). A group that became a
/// supergroup answers 400 with `parameters.migrate_to_chat_id`: nothing was sent, and the outcome
/// (`failed(.other)`, ``OutboundOutcome/telegramMigratedChatID``) names the new chat to send to.
public struct TelegramOutboundAdapter: OutboundAdapter {
    public let platform = Platform.telegram
    public var endpoint: PlatformEndpoint

    /// The Bot API.
    public static let api = PlatformAPI(.telegram, production: .init(baseURL: "https://api.telegram.org"))
    public static var apis: [PlatformAPI] { [api] }

    public init(endpoint: PlatformEndpoint) {
        self.endpoint = endpoint
    }

    public init(endpoints: OutboundEndpoints) {
        self.init(endpoint: endpoints[Self.api])
    }

    public func request(for message: OutboundMessage, credentials: TelegramCredentials) throws(OutboundBuildError)
        -> PlatformRequest
    {
        let botToken = credentials.botToken
        guard case .telegramMessage(let chatID) = message.kind else {
            throw .unsupportedKind(platform: platform, kind: message.kind)
        }
        var body: [String: WireJSON] = [
            "chat_id": Int64(chatID).map(WireJSON.int) ?? .string(chatID), "text": .string(message.text),
        ]
        if let connection = message.businessConnectionID, !connection.isEmpty {
            body["business_connection_id"] = .string(connection)
        }
        if let quoted = message.quotedMessageID {
            body["reply_parameters"] = [
                "message_id": Int64(quoted).map(WireJSON.int) ?? .string(quoted),
                "allow_sending_without_reply": true,
            ]
        }
        return PlatformRequest(
            method: "POST", url: "\(endpoint.baseURL)/bot\(botToken)/sendMessage",
            headers: ["content-type": "application/json"], body: WireJSON.object(body).encoded)
    }

    public func outcome(of response: PlatformResponse, for message: OutboundMessage) -> OutboundOutcome {
        guard let json = WireJSON.parse(response.body), let ok = json["ok"]?.boolean else {
            return HTTPStatusOutcome.classify(response, platform: "Telegram")
        }
        if ok, let id = json["result"]?["message_id"]?.text {
            return .sent(platformMessageID: id)
        }
        let code = json["error_code"]?.integer ?? Int64(response.status)
        let description = json["description"]?.text ?? ""
        let detail = "Telegram \(code): \(description)"
        if let newChatID = json["parameters"]?["migrate_to_chat_id"]?.integer {
            return .failed(reason: .other, detail: TelegramChatMigration.detail(detail, newChatID: newChatID))
        }
        switch code {
        case 429:
            let seconds = json["parameters"]?["retry_after"]?.integer
            return .retryAfter(delay: seconds.map { .seconds($0) }, reason: .rateLimited)
        case 401, 404:
            return .failed(reason: .tokenInvalid, detail: detail)
        case 403:
            return .failed(reason: .recipientUnavailable, detail: detail)
        case 400 where description.lowercased().contains("chat not found"):
            return .failed(reason: .recipientUnavailable, detail: detail)
        case 500...599:
            return .retryAfter(delay: nil, reason: .transient)
        default:
            return .failed(reason: .other, detail: detail)
        }
    }
}

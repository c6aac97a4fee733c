/// A social platform the gateway speaks to. The raw value is the path segment of the
/// webhook URL (`/webhooks/<platform>/<channel-id>`) and the name used in configuration.
///
/// ``webChat`` is our own widget: it has no webhooks and no platform API. Its visitors reach the
/// gateway through the visitor API (``WebChatAPI``, `/chat/v1/`), which writes into the same
/// inbound log, and its replies are "sent" into the visitor's transcript (``WebChatTranscript``).
public enum Platform: String, Sendable, Hashable, CaseIterable, Codable {
    case facebook
    case instagram
    case whatsapp
    case x
    case linkedin
    case tiktok
    case telegram
    case twilio
    case wechat
    case webChat = "web_chat"

    /// The platforms with webhooks and an API (adapters, fakes): every one but ``webChat``.
    static var social: [Platform] { Self.allCases.filter { $0 != .webChat } }
}

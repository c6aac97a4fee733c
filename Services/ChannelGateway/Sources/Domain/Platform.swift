/// A social platform the gateway speaks to. The raw value is the path segment of the
/// webhook URL (`/webhooks/<platform>/<channel-id>`) and the name used in configuration.
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
}

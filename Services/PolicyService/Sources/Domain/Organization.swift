#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A customer of the inbox: its plan decides which platforms it may receive; its time zone is
/// where business hours are judged; its inactivity days are the 60-day rule's length.
struct Organization: Sendable, Hashable {
    var id: String
    var name: String
    var plan: Plan
    var inactivityDays: Int
    var timeZone: String
    /// SLA: how soon a customer should get a first response (nil: no target).
    var firstResponseTarget: Duration?
    var createdAt: Date
    var updatedAt: Date
}

enum Plan: String, Sendable, Hashable, CaseIterable {
    case standard, enterprise

    /// WeChat, Telegram and Twilio SMS are on the enterprise plan only (DESIGN.md §3).
    func allows(_ platform: PolicyPlatform) -> Bool {
        switch platform {
        case .weChat, .telegram, .twilioSMS: self == .enterprise
        default: true
        }
    }
}

/// The platforms, as policy decides about them.
enum PolicyPlatform: String, Sendable, Hashable, CaseIterable, Codable {
    case facebook, instagram
    case whatsApp = "whatsapp"
    case x
    case linkedIn = "linkedin"
    case tikTok = "tiktok"
    case telegram
    case twilioSMS = "twilio_sms"
    case weChat = "wechat"
    case webChat = "web_chat"
}

/// The conversation kinds, as auto-reply rules filter them.
enum PolicyKind: String, Sendable, Hashable, CaseIterable, Codable {
    case directMessage = "direct_message"
    case comment
    case darkPostComment = "dark_post_comment"
    case wallPost = "wall_post"
    case mention, post
}

/// Limits on what organisations and rules may hold.
enum PolicyLimits {
    static let nameLength = 1...200
    static let inactivityDays = 1...3650
    static let replyTextLength = 1...2000
    static let keywords = 1...50
    static let keywordLength = 1...100
    static let windows = 1...50
    static let cooldown: ClosedRange<Int> = 0...(30 * 86_400)
    static let pageSize = 1...100
    static let defaultPageSize = 50

    static func isValidTimeZone(_ identifier: String) -> Bool {
        !identifier.isEmpty && TimeZone(identifier: identifier) != nil
    }
}

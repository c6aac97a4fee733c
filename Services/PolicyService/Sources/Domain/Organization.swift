import InboxRules

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

/// The platforms and conversation kinds are the reply rules' own (one name per idea).
typealias PolicyPlatform = ReplyPlatform
typealias PolicyKind = ConversationKind

/// Limits on what organisations and rules may hold.
enum PolicyLimits {
    static let nameLength = 1...200
    static let inactivityDays = 1...3650
    static let replyTextLength = 1...2000
    static let keywords = 1...50
    static let keywordLength = 1...100
    static let windows = 1...50
    static let cooldown: ClosedRange<Int> = 0...(30 * 86_400)

    static func isValidTimeZone(_ identifier: String) -> Bool {
        !identifier.isEmpty && TimeZone(identifier: identifier) != nil
    }
}

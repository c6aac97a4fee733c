#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The seed's 60-day rule: an organisation's inbox deactivates when its last activity — an agent
/// opened (listed) the inbox, the team replied, an automatic reply went out, or it was activated —
/// is older than its inactivity days. Replies are allowed while it is deactivated but do not
/// re-activate it by themselves (a reply is recorded as activity only when it is sent by an
/// active inbox's team; `ActivateInbox` is the explicit way back), so an inbox nobody opens cannot
/// be kept alive by accident.
struct InboxActivity: Sendable, Hashable {
    enum Status: String, Sendable, Hashable {
        case active, deactivated
    }

    enum Kind: String, Sendable, Hashable, CaseIterable {
        case inboxOpened = "inbox_opened"
        case teamReply = "team_reply"
        case automaticReply = "automatic_reply"
        case activated
    }

    var organizationID: String
    var status: Status
    var lastActivityAt: Date
    var lastActivityKind: Kind
    var deactivatedAt: Date?

    /// When the inbox deactivates if nothing happens.
    func deactivatesAt(inactivityDays: Int) -> Date {
        self.lastActivityAt.addingTimeInterval(TimeInterval(inactivityDays) * 86_400)
    }

    /// Whole days left before deactivation (0 once due or deactivated).
    func daysLeft(inactivityDays: Int, now: Date) -> Int {
        guard self.status == .active else { return 0 }
        let seconds = self.deactivatesAt(inactivityDays: inactivityDays).timeIntervalSince(now)
        return seconds <= 0 ? 0 : Int(seconds / 86_400)
    }

    /// True when the rule says this active inbox must deactivate now: its last activity is
    /// strictly older than the inactivity days.
    func isDue(inactivityDays: Int, now: Date) -> Bool {
        self.status == .active && now > self.deactivatesAt(inactivityDays: inactivityDays)
    }
}

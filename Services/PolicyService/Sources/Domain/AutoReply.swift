import InboxRules

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An automatic reply rule: when its trigger fires for an inbound message of one of its
/// platforms and kinds, the reply travels the normal send path (window rules apply).
struct AutoReplyRule: Sendable, Hashable {
    var id: UUID
    var organizationID: String
    var name: String
    /// Empty: every platform.
    var platforms: Set<PolicyPlatform>
    /// Empty: direct messages only — never a public comment, wall post or mention unless listed.
    var kinds: Set<PolicyKind>
    var trigger: AutoReplyTrigger
    var replyText: String
    var cooldown: Duration
    var enabled: Bool
    var priority: Int
    var createdAt: Date
    var updatedAt: Date

    func answers(platform: PolicyPlatform, kind: PolicyKind) -> Bool {
        (self.platforms.isEmpty || self.platforms.contains(platform))
            && (self.kinds.isEmpty ? kind == .directMessage : self.kinds.contains(kind))
    }
}

enum AutoReplyTrigger: Sendable, Hashable, Codable {
    case outsideBusinessHours(BusinessHours)
    case noAgentOnline
    case keywords([String])
}

/// A weekly schedule in a time zone. A window whose end is before its start runs past midnight
/// into the next day (Friday 22:00–02:00 covers Saturday 01:00).
struct BusinessHours: Sendable, Hashable, Codable {
    struct Window: Sendable, Hashable, Codable {
        /// 1 = Monday … 7 = Sunday (ISO 8601).
        var weekday: Int
        /// Minutes after local midnight.
        var start: Int
        var end: Int
    }

    var timeZone: String
    var windows: [Window]

    /// Whether `instant` falls inside a window, judged in the schedule's local time (so a DST
    /// change moves the hours with the clock on the wall).
    func contains(_ instant: Date) -> Bool {
        guard let zone = TimeZone(identifier: self.timeZone) else { return false }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: instant)
        // Calendar weekday: 1 = Sunday … 7 = Saturday; ours: 1 = Monday … 7 = Sunday.
        let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1
        let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
        let weekMinute = (weekday - 1) * 1440 + minute
        return self.intervals.contains { $0.contains(weekMinute) || $0.contains(weekMinute + 7 * 1440) }
    }

    /// The windows as minutes of the week (a crossing window extends into the next day; one on
    /// Sunday night wraps past the end of the week).
    var intervals: [Range<Int>] {
        self.windows.map { window in
            let start = (window.weekday - 1) * 1440 + window.start
            let length = window.end > window.start ? window.end - window.start : 1440 - window.start + window.end
            return start..<(start + length)
        }
    }

    /// Why the schedule is invalid, or nil: weekdays 1…7, times within a day, no empty window,
    /// no two windows overlapping.
    var problem: String? {
        guard PolicyLimits.isValidTimeZone(self.timeZone) else { return "time_zone '\(self.timeZone)' does not exist" }
        guard PolicyLimits.windows.contains(self.windows.count) else { return "windows must hold 1 to 50 windows" }
        for (index, window) in self.windows.enumerated() {
            guard (1...7).contains(window.weekday) else { return "windows[\(index)].weekday is not a day" }
            guard (0..<1440).contains(window.start), (0...1440).contains(window.end) else {
                return "windows[\(index)] has a time outside 00:00–24:00"
            }
            guard window.start != window.end else {
                return "windows[\(index)] is empty (start equals end)"
            }
        }
        // Overlaps, on a two-week line so that Sunday-night windows meet Monday mornings.
        let spans = self.intervals.flatMap { [$0, ($0.lowerBound + 7 * 1440)..<($0.upperBound + 7 * 1440)] }
        for (i, a) in self.intervals.enumerated() {
            for (j, b) in spans.enumerated() where j / 2 != i && a.overlaps(b) {
                return "windows[\(i)] and windows[\(j / 2)] overlap"
            }
        }
        return nil
    }

    /// Parses "HH:MM" (00:00 to 24:00) into minutes after midnight.
    static func minutes(_ text: String) -> Int? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 2, parts[1].count == 2, let hours = Int(parts[0]),
            let minutes = Int(parts[1]), (0...24).contains(hours), (0..<60).contains(minutes),
            hours < 24 || minutes == 0
        else { return nil }
        return hours * 60 + minutes
    }

    static func text(_ minutes: Int) -> String {
        String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }
}

/// One inbound message that may get an automatic reply.
struct AutoReplyCandidate: Sendable, Hashable {
    enum Presence: Sendable, Hashable {
        case unknown, someOnline, noneOnline
    }

    var organizationID: String
    var conversationID: String
    var messageID: String
    var platform: PolicyPlatform
    var kind: PolicyKind
    var text: String
    var isEcho: Bool
    /// Only new customer messages are answered (never edits, deletions, statuses, reactions).
    var isNewMessage: Bool
    var receivedAt: Date
    var presence: Presence
    /// The latest automatic reply in the conversation, as the caller or policy's own record knows.
    var lastAutomaticReplyAt: Date?
}

/// The decision for one candidate.
struct AutoReplyDecision: Sendable, Hashable {
    var reply: Bool
    var ruleID: UUID?
    var text: String
    var reason: String
}

/// Which rule, if any, answers a candidate: the enabled rules in priority order, the first whose
/// platform, kind, cooldown and trigger all allow it. Never echoes or our own messages, never
/// anything but a new message (so never a loop: our automatic reply comes back as an echo).
enum AutoReplyEvaluation {
    static func evaluate(_ candidate: AutoReplyCandidate, rules: [AutoReplyRule]) -> AutoReplyDecision {
        if candidate.isEcho { return .init(reply: false, text: "", reason: "our own message (an echo)") }
        if !candidate.isNewMessage { return .init(reply: false, text: "", reason: "not a new customer message") }
        var reasons: [String] = []
        for rule in rules.sorted(by: { ($0.priority, $0.createdAt) < ($1.priority, $1.createdAt) }) where rule.enabled {
            guard rule.answers(platform: candidate.platform, kind: candidate.kind) else { continue }
            if let last = candidate.lastAutomaticReplyAt,
                candidate.receivedAt < last.addingTimeInterval(TimeInterval(rule.cooldown.components.seconds))
            {
                reasons.append("\(rule.name): an automatic reply went out within its cooldown")
                continue
            }
            if Self.fires(rule.trigger, for: candidate) {
                return .init(reply: true, ruleID: rule.id, text: rule.replyText, reason: "\(rule.name) fired")
            }
        }
        return .init(reply: false, text: "", reason: reasons.first ?? "no rule fired")
    }

    static func fires(_ trigger: AutoReplyTrigger, for candidate: AutoReplyCandidate) -> Bool {
        switch trigger {
        case .outsideBusinessHours(let hours): !hours.contains(candidate.receivedAt)
        case .noAgentOnline: candidate.presence == .noneOnline
        case .keywords(let keywords): Self.containsAny(candidate.text, keywords)
        }
    }

    /// Case- and accent-insensitive: "Remboursé" matches "rembourse".
    static func containsAny(_ text: String, _ keywords: [String]) -> Bool {
        let folded = Self.fold(text)
        return keywords.contains { !$0.isEmpty && folded.contains(Self.fold($0)) }
    }

    static func fold(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }
}

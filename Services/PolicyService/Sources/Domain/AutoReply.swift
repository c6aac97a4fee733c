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

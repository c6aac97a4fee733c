#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An ordered rule that chooses the team for a conversation: the first enabled rule (lowest
/// priority, then oldest id) whose condition matches wins.
struct RoutingRule: Sendable, Equatable {
    var id: UUID
    var organizationID: String
    var name: String
    var priority: Int
    var condition: RoutingCondition
    var teamID: UUID
    var enabled: Bool
    var createdAt: Date
}

/// Every non-empty list must match (each list: any one of its values); a rule needs at least
/// one non-empty list, so that a catch-all is a deliberate `platforms: [every platform]` rather
/// than a forgotten condition.
struct RoutingCondition: Sendable, Equatable, Codable {
    var platforms: [String] = []
    var kinds: [String] = []
    var keywords: [String] = []
    var contactIDs: [String] = []
    var channelIDs: [String] = []

    var isEmpty: Bool {
        self.platforms.isEmpty && self.kinds.isEmpty && self.keywords.isEmpty && self.contactIDs.isEmpty
            && self.channelIDs.isEmpty
    }

    func matches(_ conversation: ConversationToRoute) -> Bool {
        if !self.platforms.isEmpty, !self.platforms.contains(conversation.platform) { return false }
        if !self.kinds.isEmpty, !self.kinds.contains(conversation.kind) { return false }
        if !self.contactIDs.isEmpty, !self.contactIDs.contains(conversation.contactID) { return false }
        if !self.channelIDs.isEmpty, !self.channelIDs.contains(conversation.channelID) { return false }
        if !self.keywords.isEmpty {
            let text = Self.folded(conversation.text)
            guard self.keywords.contains(where: { text.contains(Self.folded($0)) }) else { return false }
        }
        return true
    }

    /// Case- and accent-insensitive text for keyword matching.
    static func folded(_ text: String) -> String {
        text.folding(options: [.caseInsensitive, .diacriticInsensitive, .widthInsensitive], locale: nil)
    }
}

/// What conversation-service asks to route.
struct ConversationToRoute: Sendable, Equatable {
    var organizationID: String
    var conversationID: String
    var channelID: String
    var platform: String
    var kind: String
    var contactID: String
    var text: String
    var reopened: Bool
    var routeKey: String
    /// The reply window's or SLA's end: sooner ends leave the queue first.
    var respondBy: Date?
}

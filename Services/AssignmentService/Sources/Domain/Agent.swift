#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A person who answers conversations; `id` is the agent id of their tokens.
struct Agent: Sendable, Equatable {
    var id: String
    var organizationID: String
    var displayName: String
    var email: String
    var teamIDs: [UUID]
    /// The most weighted load at once.
    var capacity: Int
    var weights: [ConversationWeight]
    var availability: Availability
    var openConversations: Int
    /// The weighted sum of the open conversations.
    var load: Int
    var updatedAt: Date

    /// The share of capacity a conversation of this platform and kind takes: the most specific
    /// weight (platform and kind, then kind alone, then platform alone), 1 when none applies.
    func weight(platform: String, kind: String) -> Int {
        Self.weight(self.weights, platform: platform, kind: kind)
    }

    static func weight(_ weights: [ConversationWeight], platform: String, kind: String) -> Int {
        let exact = weights.first { $0.platform == platform && $0.kind == kind && !platform.isEmpty && !kind.isEmpty }
        let byKind = weights.first { $0.platform.isEmpty && $0.kind == kind && !kind.isEmpty }
        let byPlatform = weights.first { $0.platform == platform && $0.kind.isEmpty && !platform.isEmpty }
        return (exact ?? byKind ?? byPlatform)?.weight ?? 1
    }
}

enum Availability: String, Sendable, Codable {
    case online, away, offline
}

/// How much of an agent's capacity one conversation of a platform or kind takes; an empty
/// platform or kind matches any.
struct ConversationWeight: Sendable, Equatable, Codable {
    var platform: String
    var kind: String
    var weight: Int
}

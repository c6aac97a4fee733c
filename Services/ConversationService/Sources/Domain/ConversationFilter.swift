import InboxAPI
import InboxKit
import InboxRules

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// An `inbox.v1.ConversationFilter`, validated once and matched against Conversation protos (the
/// snapshots of the change log), exactly as conversation.proto describes it: every field narrows
/// the set (AND), an empty field does not filter, within a repeated field any value matches (OR),
/// except `tags`, where a conversation must carry every tag listed.
///
/// The listing shares ``validate(_:)`` and the normalised values (stored words, ids), so a list and
/// a watch with the same filter refuse the same input and cover the same conversations.
struct FilterMatcher: Sendable {
    /// At most this many `conversation_ids` (a UI watching the conversations on screen).
    static let maxConversationIDs = 500

    let statuses: Set<StoredStatus>
    let platforms: Set<ReplyPlatform>
    let kinds: Set<ConversationKind>
    let assigneeAgentID: String?
    let teamID: String?
    let unassignedOnly: Bool
    let channelID: String?
    let tags: [String]
    let contactID: UUID?
    let conversationIDs: Set<UUID>

    /// Refuses what no conversation can match or no query should run with: an enum value that is
    /// UNSPECIFIED or unknown, an id that is not one, more than 500 conversation ids, more than 20
    /// tags or a tag that is empty or longer than 50 characters.
    /// INVALID_ARGUMENT naming `filter.<field>`.
    static func validate(_ filter: Inbox_V1_ConversationFilter) throws(DomainError) {
        _ = try FilterMatcher(filter)
    }

    init(_ filter: Inbox_V1_ConversationFilter) throws(DomainError) {
        var statuses: Set<StoredStatus> = []
        for status in filter.statuses {
            statuses.insert(try StoredStatus(proto: status, field: "filter.statuses"))
        }
        var platforms: Set<ReplyPlatform> = []
        for platform in filter.platforms {
            platforms.insert(try ReplyPlatform(proto: platform, field: "filter.platforms"))
        }
        var kinds: Set<ConversationKind> = []
        for kind in filter.kinds {
            kinds.insert(try ConversationKind(proto: kind, field: "filter.kinds"))
        }
        // As stored (trimmed, lowercase): a filter on "VIP" covers conversations tagged "vip".
        let tags = try ConversationRPC.normalizedTags(filter.tags, field: "filter.tags")
        guard filter.conversationIds.count <= Self.maxConversationIDs else {
            throw .invalidArgument(
                "filter.conversation_ids has \(filter.conversationIds.count) ids; at most "
                    + "\(Self.maxConversationIDs) are allowed",
                field: "filter.conversation_ids", metadata: ["limit": "\(Self.maxConversationIDs)"])
        }
        var conversationIDs: Set<UUID> = []
        for text in filter.conversationIds {
            guard let id = UUID(uuidString: text) else {
                throw .invalidArgument(
                    "filter.conversation_ids contains \"\(text)\", which is not a conversation id",
                    field: "filter.conversation_ids")
            }
            conversationIDs.insert(id)
        }
        var contactID: UUID?
        if !filter.contactID.isEmpty {
            guard let id = UUID(uuidString: filter.contactID) else {
                throw .invalidArgument("filter.contact_id is not a contact id", field: "filter.contact_id")
            }
            contactID = id
        }
        self.statuses = statuses
        self.platforms = platforms
        self.kinds = kinds
        self.assigneeAgentID = filter.assigneeAgentID.isEmpty ? nil : filter.assigneeAgentID
        self.teamID = filter.teamID.isEmpty ? nil : filter.teamID
        self.unassignedOnly = filter.unassignedOnly
        self.channelID = filter.channelID.isEmpty ? nil : filter.channelID
        self.tags = tags
        self.contactID = contactID
        self.conversationIDs = conversationIDs
    }

    /// Whether `conversation` (a snapshot as the change log or a read shows it) is covered.
    func matches(_ conversation: Inbox_V1_Conversation) -> Bool {
        if !self.statuses.isEmpty, !self.statuses.contains(where: { $0.proto == conversation.status }) {
            return false
        }
        if !self.platforms.isEmpty, !self.platforms.contains(where: { $0.proto == conversation.platform }) {
            return false
        }
        if !self.kinds.isEmpty, !self.kinds.contains(where: { $0.proto == conversation.kind }) {
            return false
        }
        if let agent = self.assigneeAgentID, conversation.assigneeAgentID != agent { return false }
        if let team = self.teamID, conversation.assigneeTeamID != team { return false }
        if self.unassignedOnly, !conversation.assigneeAgentID.isEmpty { return false }
        if let channel = self.channelID, conversation.channelID != channel { return false }
        if !self.tags.isEmpty {
            let carried = Set(conversation.tags)
            if !self.tags.allSatisfy({ carried.contains($0) }) { return false }
        }
        if let contact = self.contactID, UUID(uuidString: conversation.contactID) != contact { return false }
        if !self.conversationIDs.isEmpty {
            guard let id = UUID(uuidString: conversation.id), self.conversationIDs.contains(id) else { return false }
        }
        return true
    }
}

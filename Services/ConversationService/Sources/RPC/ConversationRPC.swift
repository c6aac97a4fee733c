import GRPCCore
import InboxAPI
import InboxKit
import InboxRules

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `inbox.v1.ConversationService` handlers, one file per capability:
/// `+Ingest` (IngestEvents), `+Read` (lists, reads, updates, notes, read state, the assignee read
/// model), `+Watch` (WatchConversations), `+Reply` (SendReply, RecordDeliveryStatus).
///
/// Who may call what: the inbox RPCs act on the organisation of an admin's or agent's token (a
/// conversation of another organisation is NOT_FOUND, so existence does not leak); IngestEvents,
/// RecordDeliveryStatus and SetAssignee are service calls whose items name their organisation.
struct ConversationRPC: Inbox_V1_ConversationService.SimpleServiceProtocol {
    let repository: ConversationRepository
    let peers: ConversationPeers
    let feed: ChangeFeed
    let signals: ConversationSignals
    let activity: ActivityThrottle
    let responseTargets: ResponseTargets
    let now: @Sendable () -> Date

    /// The organisation of an admin's or agent's token.
    static func inboxCaller() throws(DomainError) -> (caller: Caller, organizationID: String) {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .agent)
        return (caller, try caller.organization(requested: ""))
    }

    /// A service token (the gateway, assignment-service).
    static func serviceCaller() throws(DomainError) {
        try Caller.authenticated().require(.service)
    }

    /// A required id: empty or malformed is INVALID_ARGUMENT naming `field`.
    static func id(_ text: String, field: String) throws(DomainError) -> UUID {
        guard !text.isEmpty else { throw .invalidArgument("\(field) is required", field: field) }
        guard let id = UUID(uuidString: text) else { throw .invalidArgument("\(field) is not an id", field: field) }
        return id
    }

    /// The conversation of the caller's organisation, or NOT_FOUND.
    func conversation(_ text: String, organizationID: String, field: String = "conversation_id") async throws
        -> ConversationRecord
    {
        let id = try Self.id(text, field: field)
        guard
            let record = try await self.repository.conversation(
                id, organizationID: organizationID, on: self.repository.client)
        else {
            throw DomainError.notFound("conversation \(text) does not exist", resource: "conversation")
        }
        return record
    }
}

/// Wakes this replica's background workers after a commit that gave them work.
struct ConversationSignals: Sendable {
    let followUps = WorkSignal()
    let deliveries = WorkSignal()
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A group of agents that routing rules send conversations to; its queue holds what no member
/// could take yet.
struct Team: Sendable, Equatable {
    var id: UUID
    var organizationID: String
    var name: String
    var awayPolicy: AwayPolicy
    var createdAt: Date
}

/// What happens to an agent's open conversations when they go away or offline.
enum AwayPolicy: String, Sendable, Codable {
    /// Back to the team's queue, served when capacity frees or an agent comes online.
    case returnToQueue = "return_to_queue"
    /// At once to colleagues online with free capacity; the rest to the queue.
    case reassignToColleagues = "reassign_to_colleagues"
}

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Who has a conversation now: one row per conversation (the database's primary key), so a
/// conversation is never assigned twice.
struct Assignment: Sendable, Equatable {
    enum State: String, Sendable, Codable {
        case assigned, queued, unassigned
        /// The conversation is over (resolved): nobody holds it; routing takes it again when it
        /// reopens.
        case released

        /// Whether routing may decide it (a route key seen before never does).
        var isRoutable: Bool { self == .unassigned || self == .released }
    }

    enum Source: String, Sendable, Codable {
        case manual, automatic
    }

    var organizationID: String
    var conversationID: String
    var agentID: String?
    var teamID: UUID?
    var state: State
    var source: Source
    var explanation: RoutingExplanation?
    var assignedAt: Date?
    /// Monotonic per conversation: every change adds one.
    var version: Int
    /// The reply window's or SLA's end as routing was told it: sooner ends are served first.
    var respondBy: Date? = nil
    /// When an automatic decision escalated it (its `respondBy` within the escalation window).
    var escalatedAt: Date? = nil

    /// A conversation never assigned.
    static func none(_ conversationID: String, organizationID: String) -> Assignment {
        Assignment(
            organizationID: organizationID, conversationID: conversationID, agentID: nil, teamID: nil,
            state: .unassigned, source: .manual, explanation: nil, assignedAt: nil, version: 0)
    }
}

/// One change of a conversation's assignment: who, when, why.
struct AssignmentHistoryEntry: Sendable, Equatable {
    enum Change: String, Sendable, Codable {
        case assigned, queued, reassigned, unassigned, released
    }

    var id: Int
    var conversationID: String
    var change: Change
    var fromAgentID: String?
    var toAgentID: String?
    var teamID: UUID?
    var source: Assignment.Source
    /// The agent who did it; nil for automatic decisions and services.
    var actorAgentID: String?
    var note: String
    var explanation: RoutingExplanation?
    var occurredAt: Date
}

/// The load of the agents and queues of an organisation.
struct Workload: Sendable, Equatable {
    struct AgentLoad: Sendable, Equatable {
        var agentID: String
        var availability: Availability
        var openConversations: Int
        var load: Int
        var capacity: Int
    }

    struct TeamLoad: Sendable, Equatable {
        var teamID: UUID
        var queued: Int
        var open: Int
        var agentsOnline: Int
    }

    var agents: [AgentLoad]
    var teams: [TeamLoad]
}

import InboxKit
import Logging
import PostgresNIO
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where the outboxes deliver: conversation-service's assignee read model and policy-service's
/// agent presence.
protocol ReadModelSink: Sendable {
    /// Applies the assignees (conversation-service `SetAssignee`, monotonic per version); throws
    /// when the call as a whole failed (then every item is retried).
    func setAssignees(_ items: [AssigneeUpdate]) async throws
    /// Reports online agents per organisation (policy-service `RecordAgentPresence`).
    func recordPresence(_ reports: [PresenceReport]) async throws
}

struct AssigneeUpdate: Sendable, Hashable {
    var organizationID: String
    var conversationID: String
    var agentID: String?
    var teamID: UUID?
    var version: Int
}

struct PresenceReport: Sendable, Hashable {
    var organizationID: String
    var agentsOnline: Int
    var observedAt: Date
}

/// Delivers both outboxes until every row is applied: rows are leased (`FOR UPDATE SKIP LOCKED`,
/// so replicas never send one row at once), sent in batches of at most 500, deleted once applied
/// (unless a newer version replaced them meanwhile), and retried with exponential backoff and
/// jitter when the peer fails. Never lost (rows are written in the assignment's own transaction),
/// never blocking an assignment, and harmless when repeated (SetAssignee ignores older versions).
struct ReadModelOutbox: Service {
    let client: PostgresClient
    let sink: any ReadModelSink
    let logger: Logger
    var interval: Duration = .milliseconds(250)

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    let sent = await self.deliverOnce()
                    if sent == 0 { try await Task.sleep(for: self.interval) }
                }
            }
        } catch is CancellationError {
            // Shutting down: what is left is delivered by the next run or another replica.
        }
    }

    /// One pass over both outboxes; returns how many rows were sent.
    @discardableResult
    func deliverOnce() async -> Int {
        var sent = 0
        do {
            let assignees = try await self.leaseAssignees()
            if !assignees.isEmpty {
                sent += assignees.count
                do {
                    try await self.sink.setAssignees(assignees)
                    try await self.deleteAssignees(assignees)
                } catch {
                    try await self.retryAssignees(assignees, error: error)
                }
            }
            let presence = try await self.leasePresence()
            if !presence.isEmpty {
                sent += presence.count
                do {
                    try await self.sink.recordPresence(presence)
                    try await self.deletePresence(presence)
                } catch {
                    try await self.retryPresence(presence, error: error)
                }
            }
        } catch {
            self.logger.warning("read-model outbox pass failed", metadata: ["error": "\(String(reflecting: error))"])
        }
        return sent
    }

    private func leaseAssignees() async throws -> [AssigneeUpdate] {
        let rows = try await self.client.query(
            """
            UPDATE assignee_outbox AS o SET next_attempt_at = now() + interval '30 seconds', attempts = o.attempts + 1
            FROM (SELECT organization_id, conversation_id FROM assignee_outbox WHERE next_attempt_at <= now()
                  ORDER BY next_attempt_at LIMIT 500 FOR UPDATE SKIP LOCKED) AS due
            WHERE o.organization_id = due.organization_id AND o.conversation_id = due.conversation_id
            RETURNING o.organization_id, o.conversation_id, o.agent_id, o.team_id, o.version
            """,
            logger: self.logger
        )
        var result: [AssigneeUpdate] = []
        for try await row in rows.decode((String, String, String?, UUID?, Int).self) {
            result.append(
                AssigneeUpdate(
                    organizationID: row.0, conversationID: row.1, agentID: row.2, teamID: row.3, version: row.4))
        }
        return result
    }

    private func deleteAssignees(_ items: [AssigneeUpdate]) async throws {
        for item in items {
            try await self.client.query(
                """
                DELETE FROM assignee_outbox WHERE organization_id = \(item.organizationID)
                    AND conversation_id = \(item.conversationID) AND version <= \(item.version)
                """,
                logger: self.logger
            )
        }
    }

    private func retryAssignees(_ items: [AssigneeUpdate], error: any Error) async throws {
        self.logger.warning("SetAssignee failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
        for item in items {
            try await self.client.query(
                """
                UPDATE assignee_outbox SET last_error = \(Self.describe(error)),
                    next_attempt_at = now() + make_interval(secs => \(Self.backoff(attempts: 1)))
                        * power(2, least(attempts - 1, 6))
                WHERE organization_id = \(item.organizationID) AND conversation_id = \(item.conversationID)
                """,
                logger: self.logger
            )
        }
    }

    private func leasePresence() async throws -> [PresenceReport] {
        let rows = try await self.client.query(
            """
            UPDATE presence_outbox AS o SET next_attempt_at = now() + interval '30 seconds', attempts = o.attempts + 1
            FROM (SELECT organization_id FROM presence_outbox WHERE next_attempt_at <= now()
                  ORDER BY next_attempt_at LIMIT 500 FOR UPDATE SKIP LOCKED) AS due
            WHERE o.organization_id = due.organization_id
            RETURNING o.organization_id, o.agents_online, o.observed_at
            """,
            logger: self.logger
        )
        var result: [PresenceReport] = []
        for try await row in rows.decode((String, Int, Date).self) {
            result.append(PresenceReport(organizationID: row.0, agentsOnline: row.1, observedAt: row.2))
        }
        return result
    }

    private func deletePresence(_ reports: [PresenceReport]) async throws {
        for report in reports {
            try await self.client.query(
                """
                DELETE FROM presence_outbox
                WHERE organization_id = \(report.organizationID) AND observed_at <= \(report.observedAt)
                """,
                logger: self.logger
            )
        }
    }

    private func retryPresence(_ reports: [PresenceReport], error: any Error) async throws {
        self.logger.warning("RecordAgentPresence failed; retrying", metadata: ["error": "\(String(reflecting: error))"])
        for report in reports {
            try await self.client.query(
                """
                UPDATE presence_outbox SET last_error = \(Self.describe(error)),
                    next_attempt_at = now() + make_interval(secs => \(Self.backoff(attempts: 1)))
                        * power(2, least(attempts - 1, 6))
                WHERE organization_id = \(report.organizationID)
                """,
                logger: self.logger
            )
        }
    }

    /// The first retry's delay in seconds (0.5 s ± 25 %); each further attempt doubles it, up to 32×.
    static func backoff(attempts: Int) -> Double {
        0.5 * Double.random(in: 0.75...1.25)
    }

    static func describe(_ error: any Error) -> String {
        String(String(reflecting: error).prefix(500))
    }
}

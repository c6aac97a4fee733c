import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// assignment-service's tables (`assignment` schema). Every query is scoped by organisation; one
/// assignment row per conversation (primary key) and row locks on the agents make the decisions
/// safe across replicas (AssignmentRepository+Decisions.swift).
struct AssignmentRepository: Sendable {
    let client: PostgresClient
    let logger: Logger

    /// How often a transaction runs in all when PostgreSQL aborts it for a deadlock or a
    /// serialization failure.
    static let transactionAttempts = 3

    /// Runs `body` in a transaction; a domain error thrown inside comes out as itself. A deadlock
    /// or serialization failure (40P01, 40001) runs `body` again in a new transaction, up to
    /// `transactionAttempts` times in all: every decision is made inside it, from what it locked.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await self.client.withTransaction(logger: self.logger) { connection in
                    try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                let cause = error.closureError ?? error.beginError ?? error.commitError ?? error
                guard attempt < Self.transactionAttempts, Self.isRetryable(cause) else { throw cause }
                self.logger.debug(
                    "transaction aborted by PostgreSQL; running it again",
                    metadata: ["attempt": "\(attempt)", "sqlstate": "\(Self.sqlState(cause) ?? "")"])
                attempt += 1
            }
        }
    }

    static func sqlState(_ error: (any Error)?) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// A deadlock or serialization failure: the same transaction again may well succeed.
    static func isRetryable(_ error: any Error) -> Bool {
        ["40P01", "40001"].contains(Self.sqlState(error) ?? "")
    }

    // MARK: Teams

    static let teamColumns = "id, organization_id, name, away_policy, created_at"
    typealias TeamRow = (UUID, String, String, String, Date)

    /// Creates the team, or returns the one created before with the same idempotency key.
    func createTeam(_ team: Team, idempotencyKey: String?, fingerprint: String) async throws -> Team {
        if let key = idempotencyKey, let existing = try await self.team(idempotencyKey: key, team.organizationID) {
            guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
            return existing.team
        }
        do {
            try await self.client.query(
                """
                INSERT INTO teams (organization_id, id, name, away_policy, idempotency_key, idempotency_fingerprint,
                    created_at)
                VALUES (\(team.organizationID), \(team.id), \(team.name), \(team.awayPolicy.rawValue),
                    \(idempotencyKey), \(fingerprint), \(team.createdAt))
                """,
                logger: self.logger
            )
        } catch let error where Self.isUniqueViolation(error) {
            if let key = idempotencyKey, let existing = try await self.team(idempotencyKey: key, team.organizationID) {
                guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
                return existing.team
            }
            throw DomainError.alreadyExists("a team named '\(team.name)' already exists")
        }
        return team
    }

    private func team(idempotencyKey: String, _ organizationID: String) async throws
        -> (team: Team, fingerprint: String)?
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.teamColumns), coalesce(idempotency_fingerprint, '') FROM teams
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger
        )
        for try await row in rows.decode((UUID, String, String, String, Date, String).self) {
            return (Self.team((row.0, row.1, row.2, row.3, row.4)), row.5)
        }
        return nil
    }

    func team(_ id: UUID, organizationID: String) async throws -> Team? {
        let rows = try await self.client.query(
            "SELECT \(unescaped: Self.teamColumns) FROM teams WHERE organization_id = \(organizationID) AND id = \(id)",
            logger: self.logger
        )
        for try await row in rows.decode(TeamRow.self) { return Self.team(row) }
        return nil
    }

    /// Which of `ids` are teams of the organisation.
    func existingTeams(_ ids: [UUID], organizationID: String) async throws -> Set<UUID> {
        let rows = try await self.client.query(
            "SELECT id FROM teams WHERE organization_id = \(organizationID) AND id::text = ANY(\(ids.map(Self.text)))",
            logger: self.logger
        )
        var found: Set<UUID> = []
        for try await id in rows.decode(UUID.self) { found.insert(id) }
        return found
    }

    /// A page in id order, after `afterID`.
    func teams(organizationID: String, after afterID: UUID?, limit: Int) async throws -> [Team] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.teamColumns) FROM teams
            WHERE organization_id = \(organizationID) AND (\(afterID)::uuid IS NULL OR id > \(afterID))
            ORDER BY id LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [Team] = []
        for try await row in rows.decode(TeamRow.self) { result.append(Self.team(row)) }
        return result
    }

    static func team(_ row: TeamRow) -> Team {
        Team(
            id: row.0, organizationID: row.1, name: row.2, awayPolicy: AwayPolicy(rawValue: row.3) ?? .returnToQueue,
            createdAt: row.4)
    }

    // MARK: Agents

    static let agentColumns = """
        a.id, a.organization_id, a.display_name, a.email, a.capacity, a.weights::text, a.availability,
        a.open_conversations, a.load, a.updated_at,
        coalesce((SELECT array_agg(m.team_id::text ORDER BY m.team_id) FROM team_members m
            WHERE m.organization_id = a.organization_id AND m.agent_id = a.id), '{}')
        """
    typealias AgentRow = (String, String, String, String, Int, String, String, Int, Int, Date, [String])

    /// Creates or replaces the agent's profile, capacity, weights and team memberships (their
    /// availability and load are kept).
    func upsert(_ agent: Agent) async throws -> Agent {
        let weights = try Self.json(agent.weights)
        try await self.transaction { connection in
            try await connection.query(
                """
                INSERT INTO agents (organization_id, id, display_name, email, capacity, weights, updated_at)
                VALUES (\(agent.organizationID), \(agent.id), \(agent.displayName), \(agent.email), \(agent.capacity),
                    \(weights)::jsonb, \(agent.updatedAt))
                ON CONFLICT (organization_id, id) DO UPDATE SET display_name = excluded.display_name,
                    email = excluded.email, capacity = excluded.capacity, weights = excluded.weights,
                    updated_at = excluded.updated_at
                """,
                logger: self.logger
            )
            try await connection.query(
                """
                DELETE FROM team_members WHERE organization_id = \(agent.organizationID) AND agent_id = \(agent.id)
                    AND NOT team_id::text = ANY(\(agent.teamIDs.map(Self.text)))
                """,
                logger: self.logger
            )
            for teamID in agent.teamIDs {
                try await connection.query(
                    """
                    INSERT INTO team_members (organization_id, team_id, agent_id)
                    VALUES (\(agent.organizationID), \(teamID), \(agent.id)) ON CONFLICT DO NOTHING
                    """,
                    logger: self.logger
                )
            }
        }
        guard let stored = try await self.agent(agent.id, organizationID: agent.organizationID) else {
            throw DomainError.notFound("agent \(agent.id) not found", resource: "agent")
        }
        return stored
    }

    func agent(_ id: String, organizationID: String) async throws -> Agent? {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.agentColumns) FROM agents a
            WHERE a.organization_id = \(organizationID) AND a.id = \(id)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(AgentRow.self) { return try Self.agent(row) }
        return nil
    }

    /// A page in id order; empty filters match everything.
    func agents(
        organizationID: String, teamID: UUID?, availabilities: [String], ids: [String], after afterID: String?,
        limit: Int
    ) async throws -> [Agent] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.agentColumns) FROM agents a
            WHERE a.organization_id = \(organizationID)
                AND (\(teamID)::uuid IS NULL OR EXISTS (SELECT 1 FROM team_members m
                    WHERE m.organization_id = a.organization_id AND m.agent_id = a.id AND m.team_id = \(teamID)))
                AND (cardinality(\(availabilities)::text[]) = 0 OR a.availability = ANY(\(availabilities)))
                AND (cardinality(\(ids)::text[]) = 0 OR a.id = ANY(\(ids)))
                AND (\(afterID)::text IS NULL OR a.id > \(afterID))
            ORDER BY a.id LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [Agent] = []
        for try await row in rows.decode(AgentRow.self) { result.append(try Self.agent(row)) }
        return result
    }

    static func agent(_ row: AgentRow) throws -> Agent {
        Agent(
            id: row.0, organizationID: row.1, displayName: row.2, email: row.3,
            teamIDs: row.10.compactMap { UUID(uuidString: $0) }, capacity: row.4,
            weights: try JSONDecoder().decode([ConversationWeight].self, from: Data(row.5.utf8)),
            availability: Availability(rawValue: row.6) ?? .offline, openConversations: row.7, load: row.8,
            updatedAt: row.9)
    }

    // MARK: Routing rules

    static let ruleColumns = "id, organization_id, name, priority, condition::text, team_id, enabled, created_at"
    typealias RuleRow = (UUID, String, String, Int, String, UUID, Bool, Date)

    func createRule(_ rule: RoutingRule, idempotencyKey: String?, fingerprint: String) async throws -> RoutingRule {
        if let key = idempotencyKey, let existing = try await self.rule(idempotencyKey: key, rule.organizationID) {
            guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
            return existing.rule
        }
        do {
            try await self.client.query(
                """
                INSERT INTO routing_rules (organization_id, id, name, priority, condition, team_id, enabled,
                    idempotency_key, idempotency_fingerprint, created_at)
                VALUES (\(rule.organizationID), \(rule.id), \(rule.name), \(rule.priority),
                    \(try Self.json(rule.condition))::jsonb, \(rule.teamID), \(rule.enabled), \(idempotencyKey),
                    \(fingerprint), \(rule.createdAt))
                """,
                logger: self.logger
            )
        } catch let error where Self.isUniqueViolation(error) {
            if let key = idempotencyKey, let existing = try await self.rule(idempotencyKey: key, rule.organizationID) {
                guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
                return existing.rule
            }
            throw error
        }
        return rule
    }

    private func rule(idempotencyKey: String, _ organizationID: String) async throws
        -> (rule: RoutingRule, fingerprint: String)?
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns), coalesce(idempotency_fingerprint, '') FROM routing_rules
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger
        )
        for try await row in rows.decode((UUID, String, String, Int, String, UUID, Bool, Date, String).self) {
            return (try Self.rule((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7)), row.8)
        }
        return nil
    }

    func rule(_ id: UUID, organizationID: String) async throws -> RoutingRule? {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM routing_rules
            WHERE organization_id = \(organizationID) AND id = \(id)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(RuleRow.self) { return try Self.rule(row) }
        return nil
    }

    /// A page in evaluation order (priority, then id), after a cursor.
    func rules(organizationID: String, after cursor: (priority: Int, id: UUID)?, limit: Int) async throws
        -> [RoutingRule]
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM routing_rules
            WHERE organization_id = \(organizationID)
                AND (\(cursor?.priority)::int IS NULL OR (priority, id) > (\(cursor?.priority), \(cursor?.id)))
            ORDER BY priority, id LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [RoutingRule] = []
        for try await row in rows.decode(RuleRow.self) { result.append(try Self.rule(row)) }
        return result
    }

    /// Every enabled rule of these organisations, in evaluation order.
    func enabledRules(organizationIDs: [String]) async throws -> [String: [RoutingRule]] {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM routing_rules
            WHERE organization_id = ANY(\(organizationIDs)) AND enabled ORDER BY priority, id
            """,
            logger: self.logger
        )
        var result: [String: [RoutingRule]] = [:]
        for try await row in rows.decode(RuleRow.self) {
            let rule = try Self.rule(row)
            result[rule.organizationID, default: []].append(rule)
        }
        return result
    }

    func update(_ rule: RoutingRule) async throws -> RoutingRule? {
        let rows = try await self.client.query(
            """
            UPDATE routing_rules SET name = \(rule.name), priority = \(rule.priority),
                condition = \(try Self.json(rule.condition))::jsonb, team_id = \(rule.teamID), enabled = \(rule.enabled)
            WHERE organization_id = \(rule.organizationID) AND id = \(rule.id)
            RETURNING \(unescaped: Self.ruleColumns)
            """,
            logger: self.logger
        )
        for try await row in rows.decode(RuleRow.self) { return try Self.rule(row) }
        return nil
    }

    static func rule(_ row: RuleRow) throws -> RoutingRule {
        RoutingRule(
            id: row.0, organizationID: row.1, name: row.2, priority: row.3,
            condition: try JSONDecoder().decode(RoutingCondition.self, from: Data(row.4.utf8)), teamID: row.5,
            enabled: row.6, createdAt: row.7)
    }

    // MARK: Reads of assignments

    static let assignmentColumnNames = [
        "organization_id", "conversation_id", "agent_id", "team_id", "state", "source", "explanation::text",
        "assigned_at", "version", "respond_by", "escalated_at",
    ]
    static let assignmentColumns = Self.assignmentColumnNames.joined(separator: ", ")
    typealias AssignmentRow = (String, String, String?, UUID?, String, String, String?, Date?, Int, Date?, Date?)

    /// The assignment columns qualified by `alias` (for a join).
    static func qualifiedAssignmentColumns(_ alias: String) -> String {
        Self.assignmentColumnNames.map { "\(alias).\($0)" }.joined(separator: ", ")
    }

    func assignment(_ conversationID: String, organizationID: String) async throws -> Assignment? {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.assignmentColumns) FROM assignments
            WHERE organization_id = \(organizationID) AND conversation_id = \(conversationID) AND version > 0
            """,
            logger: self.logger
        )
        for try await row in rows.decode(AssignmentRow.self) { return try Self.assignment(row) }
        return nil
    }

    static func assignment(_ row: AssignmentRow) throws -> Assignment {
        Assignment(
            organizationID: row.0, conversationID: row.1, agentID: row.2, teamID: row.3,
            state: Assignment.State(rawValue: row.4) ?? .unassigned,
            source: Assignment.Source(rawValue: row.5) ?? .manual,
            explanation: try row.6.map { try JSONDecoder().decode(RoutingExplanation.self, from: Data($0.utf8)) },
            assignedAt: row.7, version: row.8, respondBy: row.9, escalatedAt: row.10)
    }

    /// Newest first, by conversation and/or by agent (to or from them), before a cursor id.
    func history(
        organizationID: String, conversationID: String?, agentID: String?, before beforeID: Int?, limit: Int
    ) async throws -> [AssignmentHistoryEntry] {
        let rows = try await self.client.query(
            """
            SELECT id, conversation_id, change, from_agent_id, to_agent_id, team_id, source, actor_agent_id, note,
                explanation::text, occurred_at
            FROM assignment_history
            WHERE organization_id = \(organizationID)
                AND (\(conversationID)::text IS NULL OR conversation_id = \(conversationID))
                AND (\(agentID)::text IS NULL OR to_agent_id = \(agentID) OR from_agent_id = \(agentID))
                AND (\(beforeID)::bigint IS NULL OR id < \(beforeID))
            ORDER BY id DESC LIMIT \(limit)
            """,
            logger: self.logger
        )
        var result: [AssignmentHistoryEntry] = []
        for try await row in rows.decode(
            (Int, String, String, String?, String?, UUID?, String, String?, String, String?, Date).self)
        {
            result.append(
                AssignmentHistoryEntry(
                    id: row.0, conversationID: row.1,
                    change: AssignmentHistoryEntry.Change(rawValue: row.2) ?? .assigned, fromAgentID: row.3,
                    toAgentID: row.4, teamID: row.5, source: Assignment.Source(rawValue: row.6) ?? .manual,
                    actorAgentID: row.7, note: row.8,
                    explanation: try row.9.map {
                        try JSONDecoder().decode(RoutingExplanation.self, from: Data($0.utf8))
                    },
                    occurredAt: row.10))
        }
        return result
    }

    func workload(organizationID: String, teamID: UUID?, agentID: String?) async throws -> Workload {
        let agentRows = try await self.client.query(
            """
            SELECT a.id, a.availability, a.open_conversations, a.load, a.capacity FROM agents a
            WHERE a.organization_id = \(organizationID) AND (\(agentID)::text IS NULL OR a.id = \(agentID))
                AND (\(teamID)::uuid IS NULL OR EXISTS (SELECT 1 FROM team_members m
                    WHERE m.organization_id = a.organization_id AND m.agent_id = a.id AND m.team_id = \(teamID)))
            ORDER BY a.id
            """,
            logger: self.logger
        )
        var agents: [Workload.AgentLoad] = []
        for try await row in agentRows.decode((String, String, Int, Int, Int).self) {
            agents.append(
                .init(
                    agentID: row.0, availability: Availability(rawValue: row.1) ?? .offline, openConversations: row.2,
                    load: row.3, capacity: row.4))
        }
        var teams: [Workload.TeamLoad] = []
        if agentID == nil {
            let teamRows = try await self.client.query(
                """
                SELECT t.id,
                    (SELECT count(*) FROM assignments s WHERE s.organization_id = t.organization_id
                        AND s.team_id = t.id AND s.state = 'queued'),
                    (SELECT count(*) FROM assignments s WHERE s.organization_id = t.organization_id
                        AND s.team_id = t.id AND s.state = 'assigned'),
                    (SELECT count(*) FROM team_members m JOIN agents a
                        ON a.organization_id = m.organization_id AND a.id = m.agent_id
                        WHERE m.organization_id = t.organization_id AND m.team_id = t.id AND a.availability = 'online')
                FROM teams t
                WHERE t.organization_id = \(organizationID) AND (\(teamID)::uuid IS NULL OR t.id = \(teamID))
                ORDER BY t.id
                """,
                logger: self.logger
            )
            for try await row in teamRows.decode((UUID, Int, Int, Int).self) {
                teams.append(.init(teamID: row.0, queued: row.1, open: row.2, agentsOnline: row.3))
            }
        }
        return Workload(agents: agents, teams: teams)
    }

    // MARK: Helpers

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// A uuid as PostgreSQL prints it.
    static func text(_ id: UUID) -> String { id.uuidString.lowercased() }

    static func isUniqueViolation(_ error: (any Error)?) -> Bool {
        Self.sqlState(error) == "23505"
    }
}

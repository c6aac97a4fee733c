import InboxKit
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The locks and writes the decisions (AssignmentRepository+Decisions.swift) are made of. Every
/// write takes a whole batch in one statement (`unnest` of one array per column; NULLs travel as
/// '' or as a flag beside a placeholder, since arrays of optionals do not bind). Locks are taken
/// in one order: assignment rows by (organisation, conversation id), then agent rows by
/// (organisation, agent id).
extension AssignmentRepository {
    /// One change to record in `assignment_history`.
    struct HistoryRow: Sendable {
        var change: AssignmentHistoryEntry.Change
        var assignment: Assignment
        var from: String?
        var actor: String?
        var note: String
    }

    static let lockedColumns = """
        \(Self.assignmentColumns), platform, kind, weight, queued_at, previous_agent_id
        """
    typealias LockedRow = (
        String, String, String?, UUID?, String, String, String?, Date?, Int, Date?, Date?, String, String, Int, Date?,
        String?
    )

    static func locked(_ row: LockedRow) throws -> Locked {
        Locked(
            assignment: try Self.assignment(
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10)),
            platform: row.11, kind: row.12, weight: row.13, queuedAt: row.14, previousAgentID: row.15)
    }

    // MARK: Route keys

    /// Claims the keys (`route_keys`, in key order); returns those that were new. A key another
    /// transaction is claiming waits for it, then counts as seen.
    func claim(_ keys: [(key: RouteKey, conversationID: String)], now: Date, on connection: PostgresConnection)
        async throws -> Set<RouteKey>
    {
        guard !keys.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            INSERT INTO route_keys (organization_id, route_key, conversation_id, created_at)
            SELECT x.org, x.route_key, x.conversation, \(now)
            FROM unnest(\(keys.map(\.key.organizationID))::text[], \(keys.map(\.key.key))::text[],
                \(keys.map(\.conversationID))::text[]) AS x(org, route_key, conversation)
            ORDER BY x.org, x.route_key
            ON CONFLICT DO NOTHING
            RETURNING organization_id, route_key
            """,
            logger: self.logger
        )
        var fresh: Set<RouteKey> = []
        for try await (organizationID, key) in rows.decode((String, String).self) {
            fresh.insert(RouteKey(organizationID: organizationID, key: key))
        }
        return fresh
    }

    /// The current assignment of each key's conversation (keys never used are absent).
    func assignments(ofRouteKeys keys: [RouteKey], on connection: PostgresConnection) async throws
        -> [RouteKey: Assignment]
    {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT r.organization_id, r.route_key, \(unescaped: Self.qualifiedAssignmentColumns("a"))
            FROM route_keys r
            JOIN assignments a ON a.organization_id = r.organization_id AND a.conversation_id = r.conversation_id
            WHERE (r.organization_id, r.route_key) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.key))::text[]))
            """,
            logger: self.logger
        )
        var result: [RouteKey: Assignment] = [:]
        for try await row in rows.decode(
            (String, String, String, String, String?, UUID?, String, String, String?, Date?, Int, Date?, Date?).self)
        {
            result[RouteKey(organizationID: row.0, key: row.1)] = try Self.assignment(
                (row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12))
        }
        return result
    }

    // MARK: Assignment rows

    /// Locks the conversation's row, first creating an empty one (version 0) when `create`, so
    /// that concurrent decisions on one conversation wait for each other.
    func lock(_ conversationID: String, _ organizationID: String, create: Bool, on connection: PostgresConnection)
        async throws -> Locked?
    {
        let key = ConversationKey(organizationID: organizationID, conversationID: conversationID)
        if create { return try await self.lockForRouting([key], on: connection)[key] }
        return try await self.lockExisting([key], on: connection)[key]
    }

    /// Creates the missing rows (version 0, unassigned) and locks them all.
    func lockForRouting(_ keys: [ConversationKey], on connection: PostgresConnection) async throws
        -> [ConversationKey: Locked]
    {
        guard !keys.isEmpty else { return [:] }
        try await connection.query(
            """
            INSERT INTO assignments (organization_id, conversation_id, state, source, version)
            SELECT x.org, x.conversation, 'unassigned', 'manual', 0
            FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.conversationID))::text[])
                AS x(org, conversation)
            ORDER BY x.org, x.conversation
            ON CONFLICT DO NOTHING
            """,
            logger: self.logger
        )
        return try await self.lockExisting(keys, on: connection)
    }

    /// Locks the rows that exist, in (organisation, conversation id) order.
    func lockExisting(_ keys: [ConversationKey], on connection: PostgresConnection) async throws
        -> [ConversationKey: Locked]
    {
        guard !keys.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.lockedColumns) FROM assignments
            WHERE (organization_id, conversation_id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.conversationID))::text[]))
            ORDER BY organization_id, conversation_id FOR UPDATE
            """,
            logger: self.logger
        )
        var result: [ConversationKey: Locked] = [:]
        for try await row in rows.decode(LockedRow.self) {
            let locked = try Self.locked(row)
            let key = ConversationKey(
                organizationID: locked.assignment.organizationID, conversationID: locked.assignment.conversationID)
            result[key] = locked
        }
        return result
    }

    func lockAssigned(to agentID: String, _ organizationID: String, on connection: PostgresConnection)
        async throws -> [Locked]
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.lockedColumns) FROM assignments
            WHERE organization_id = \(organizationID) AND agent_id = \(agentID) AND state = 'assigned'
            ORDER BY organization_id, conversation_id FOR UPDATE
            """,
            logger: self.logger
        )
        var result: [Locked] = []
        for try await row in rows.decode(LockedRow.self) { result.append(try Self.locked(row)) }
        return result
    }

    // MARK: Agent rows

    static let routingAgentColumns =
        "a.id, a.availability, a.capacity, a.weights::text, a.open_conversations, a.load, a.last_turn"
    typealias RoutingAgentRow = (String, String, Int, String, Int, Int, Int)

    static func routingAgent(_ row: RoutingAgentRow) throws -> RoutingAgent {
        RoutingAgent(
            id: row.0, availability: Availability(rawValue: row.1) ?? .offline, capacity: row.2,
            // Most agents have no weights: no decoder for them (a routing batch reads every agent of its teams).
            weights: row.3 == "[]" ? [] : try JSONDecoder().decode([ConversationWeight].self, from: Data(row.3.utf8)),
            openConversations: row.4, load: row.5, lastTurn: row.6)
    }

    /// Locks these agents of one organisation in id order.
    func lockAgents(ids: [String], _ organizationID: String, on connection: PostgresConnection) async throws
        -> [RoutingAgent]
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.routingAgentColumns) FROM agents a
            WHERE a.organization_id = \(organizationID) AND a.id = ANY(\(ids))
            ORDER BY a.organization_id, a.id FOR UPDATE
            """,
            logger: self.logger
        )
        var result: [RoutingAgent] = []
        for try await row in rows.decode(RoutingAgentRow.self) { result.append(try Self.routingAgent(row)) }
        return result
    }

    /// Locks these agents (of any organisations) in (organisation, id) order.
    func lockAgents(keys: [AgentPool.AgentKey], on connection: PostgresConnection) async throws {
        guard !keys.isEmpty else { return }
        let rows = try await connection.query(
            """
            SELECT a.id FROM agents a
            WHERE (a.organization_id, a.id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.id))::text[]))
            ORDER BY a.organization_id, a.id FOR UPDATE
            """,
            logger: self.logger
        )
        // Locked as PostgreSQL returns them: read them all.
        for try await _ in rows.decode(String.self) {}
    }

    /// The agents of these teams for a routing batch or a queue drain, of which only those that can take work now
    /// (online, with free capacity) are locked, in (organisation, id) order, and read again as
    /// locked. The others are read without a lock: they explain the decision (availability and
    /// load of every candidate) but take nothing, so batches routing into teams where nobody can
    /// take work do not wait for each other. An agent who comes online, or whose capacity frees,
    /// while the batch runs is not offered its items; ``teamsThatCanTakeWork(_:)`` after the
    /// commit finds those teams, and their queues are served then.
    func routingAgents(ofTeams teams: [AgentPool.TeamKey], on connection: PostgresConnection) async throws
        -> [(organizationID: String, teamID: UUID, agent: RoutingAgent)]
    {
        guard !teams.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT a.organization_id, m.team_id, \(unescaped: Self.routingAgentColumns) FROM agents a
            JOIN team_members m ON m.organization_id = a.organization_id AND m.agent_id = a.id
            WHERE (m.organization_id, m.team_id) IN (
                SELECT * FROM unnest(\(teams.map(\.organizationID))::text[], \(teams.map(\.teamID))::uuid[]))
            """,
            logger: self.logger
        )
        var result: [(organizationID: String, teamID: UUID, agent: RoutingAgent)] = []
        for try await row in rows.decode((String, UUID, String, String, Int, String, Int, Int, Int).self) {
            let agent = try Self.routingAgent((row.2, row.3, row.4, row.5, row.6, row.7, row.8))
            result.append((organizationID: row.0, teamID: row.1, agent: agent))
        }
        var candidates: [String: Set<String>] = [:]
        for row in result where row.agent.availability == .online && row.agent.load < row.agent.capacity {
            candidates[row.organizationID, default: []].insert(row.agent.id)
        }
        guard !candidates.isEmpty else { return result }
        let keys = candidates.flatMap { organization, ids in ids.map { (organization, $0) } }
        let locked = try await connection.query(
            """
            SELECT a.organization_id, \(unescaped: Self.routingAgentColumns) FROM agents a
            WHERE (a.organization_id, a.id) IN (
                SELECT * FROM unnest(\(keys.map(\.0))::text[], \(keys.map(\.1))::text[]))
            ORDER BY a.organization_id, a.id FOR UPDATE OF a
            """,
            logger: self.logger
        )
        var fresh: [String: [String: RoutingAgent]] = [:]
        for try await row in locked.decode((String, String, String, Int, String, Int, Int, Int).self) {
            fresh[row.0, default: [:]][row.1] = try Self.routingAgent((row.1, row.2, row.3, row.4, row.5, row.6, row.7))
        }
        for index in result.indices {
            if let agent = fresh[result[index].organizationID]?[result[index].agent.id] {
                result[index].agent = agent
            } else if candidates[result[index].organizationID]?.contains(result[index].agent.id) == true {
                // Gone meanwhile (deleted): nothing to offer.
                result[index].agent.availability = .offline
            }
        }
        return result
    }

    /// Of these teams, those with an online agent who has free capacity (read without locks, after
    /// a routing batch committed): their queues may hold work that batch could not offer them.
    func teamsThatCanTakeWork(_ teams: [AgentPool.TeamKey]) async throws -> [AgentPool.TeamKey] {
        guard !teams.isEmpty else { return [] }
        let rows = try await self.client.query(
            """
            SELECT DISTINCT m.organization_id, m.team_id FROM team_members m
            JOIN agents a ON a.organization_id = m.organization_id AND a.id = m.agent_id
            WHERE (m.organization_id, m.team_id) IN (
                SELECT * FROM unnest(\(teams.map(\.organizationID))::text[], \(teams.map(\.teamID))::uuid[]))
                AND a.availability = 'online' AND a.load < a.capacity
            """,
            logger: self.logger
        )
        var result: [AgentPool.TeamKey] = []
        for try await (organization, team) in rows.decode((String, UUID).self) {
            result.append(AgentPool.TeamKey(organizationID: organization, teamID: team))
        }
        return result
    }

    /// Applies what decisions did to the (locked) agents, in one statement: load and open
    /// conversations (never below 0), and for those given a turn the next values of the
    /// `routing_turns` sequence in the order of their turns (taken in one statement), so
    /// round-robin stays fair across replicas.
    func adjust(_ changes: [AgentPool.Change], on connection: PostgresConnection) async throws {
        guard !changes.isEmpty else { return }
        let turning = changes.filter { $0.turn != nil }.sorted { ($0.turn ?? 0) < ($1.turn ?? 0) }
        var sequence: [Int] = []
        if !turning.isEmpty {
            let rows = try await connection.query(
                "SELECT nextval('routing_turns') FROM generate_series(1, \(turning.count))", logger: self.logger)
            for try await turn in rows.decode(Int.self) { sequence.append(turn) }
            sequence.sort()
        }
        var turns: [AgentPool.AgentKey: Int] = [:]
        for (change, turn) in zip(turning, sequence) {
            turns[AgentPool.AgentKey(organizationID: change.organizationID, id: change.agentID)] = turn
        }
        let given = changes.map { turns[AgentPool.AgentKey(organizationID: $0.organizationID, id: $0.agentID)] }
        try await connection.query(
            """
            UPDATE agents a SET load = greatest(a.load + x.load, 0),
                open_conversations = greatest(a.open_conversations + x.open, 0),
                last_turn = CASE WHEN x.turned THEN x.turn ELSE a.last_turn END
            FROM unnest(\(changes.map(\.organizationID))::text[], \(changes.map(\.agentID))::text[],
                \(changes.map(\.load))::int8[], \(changes.map(\.conversations))::int8[],
                \(given.map { $0 != nil })::boolean[], \(given.map { $0 ?? 0 })::int8[])
                AS x(org, id, load, open, turned, turn)
            WHERE a.organization_id = x.org AND a.id = x.id
            """,
            logger: self.logger
        )
    }

    func addLoad(
        _ weight: Int, conversations: Int, agentID: String, _ organizationID: String, on connection: PostgresConnection
    ) async throws {
        try await connection.query(
            """
            UPDATE agents SET load = greatest(load + \(weight), 0),
                open_conversations = greatest(open_conversations + \(conversations), 0)
            WHERE organization_id = \(organizationID) AND id = \(agentID)
            """,
            logger: self.logger
        )
    }

    func teamIDs(of agentID: String, _ organizationID: String, on connection: PostgresConnection) async throws
        -> [UUID]
    {
        let rows = try await connection.query(
            """
            SELECT team_id FROM team_members WHERE organization_id = \(organizationID) AND agent_id = \(agentID)
            ORDER BY team_id
            """,
            logger: self.logger
        )
        var result: [UUID] = []
        for try await id in rows.decode(UUID.self) { result.append(id) }
        return result
    }

    /// Every team of these agents.
    func teams(of agents: [AgentPool.AgentKey], on connection: PostgresConnection) async throws
        -> [AgentPool.TeamKey]
    {
        guard !agents.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT DISTINCT organization_id, team_id FROM team_members
            WHERE (organization_id, agent_id) IN (
                SELECT * FROM unnest(\(agents.map(\.organizationID))::text[], \(agents.map(\.id))::text[]))
            ORDER BY organization_id, team_id
            """,
            logger: self.logger
        )
        var result: [AgentPool.TeamKey] = []
        for try await (organizationID, teamID) in rows.decode((String, UUID).self) {
            result.append(AgentPool.TeamKey(organizationID: organizationID, teamID: teamID))
        }
        return result
    }

    func awayPolicies(_ organizationID: String, on connection: PostgresConnection) async throws -> [UUID: AwayPolicy] {
        let rows = try await connection.query(
            "SELECT id, away_policy FROM teams WHERE organization_id = \(organizationID)", logger: self.logger)
        var result: [UUID: AwayPolicy] = [:]
        for try await (id, policy) in rows.decode((UUID, String).self) { result[id] = AwayPolicy(rawValue: policy) }
        return result
    }

    // MARK: Writes

    /// Writes the (locked) rows as they are now, in one statement, and queues each conversation's
    /// newest assignee for conversation-service's read model in the same transaction (the
    /// outbox keeps only the highest version). The last row of a conversation wins.
    func store(_ changed: [Locked], now: Date, on connection: PostgresConnection) async throws {
        guard !changed.isEmpty else { return }
        var seen: Set<ConversationKey> = []
        let rows = changed.reversed().filter { row in
            seen.insert(
                ConversationKey(
                    organizationID: row.assignment.organizationID, conversationID: row.assignment.conversationID)
            ).inserted
        }
        let a = rows.map(\.assignment)
        let epoch = Date(timeIntervalSince1970: 0)
        let explanations = a.map { $0.explanation?.jsonText ?? "" }
        let organizations = a.map(\.organizationID)
        let conversations = a.map(\.conversationID)
        let agents = a.map { $0.agentID ?? "" }
        let teams = a.map { $0.teamID.map(Self.text) ?? "" }
        let versions = a.map(\.version)
        try await connection.query(
            """
            UPDATE assignments s SET agent_id = nullif(x.agent, ''), team_id = nullif(x.team, '')::uuid,
                state = x.state, source = x.source, explanation = nullif(x.explanation, '')::jsonb,
                version = x.version, assigned_at = CASE WHEN x.has_assigned THEN x.assigned_at END,
                queued_at = CASE WHEN x.has_queued THEN x.queued_at END, platform = x.platform, kind = x.kind,
                weight = x.weight, respond_by = CASE WHEN x.has_respond_by THEN x.respond_by END,
                escalated_at = CASE WHEN x.has_escalated THEN x.escalated_at END,
                previous_agent_id = nullif(x.previous, ''), updated_at = \(now)
            FROM unnest(\(organizations)::text[], \(conversations)::text[], \(agents)::text[], \(teams)::text[],
                \(a.map(\.state.rawValue))::text[], \(a.map(\.source.rawValue))::text[], \(explanations)::text[],
                \(versions)::int8[], \(a.map { $0.assignedAt != nil })::boolean[],
                \(a.map { $0.assignedAt ?? epoch })::timestamptz[], \(rows.map { $0.queuedAt != nil })::boolean[],
                \(rows.map { $0.queuedAt ?? epoch })::timestamptz[], \(rows.map(\.platform))::text[],
                \(rows.map(\.kind))::text[], \(rows.map(\.weight))::int8[], \(a.map { $0.respondBy != nil })::boolean[],
                \(a.map { $0.respondBy ?? epoch })::timestamptz[], \(a.map { $0.escalatedAt != nil })::boolean[],
                \(a.map { $0.escalatedAt ?? epoch })::timestamptz[], \(rows.map { $0.previousAgentID ?? "" })::text[])
                AS x(org, conversation, agent, team, state, source, explanation, version, has_assigned, assigned_at,
                    has_queued, queued_at, platform, kind, weight, has_respond_by, respond_by, has_escalated,
                    escalated_at, previous)
            WHERE s.organization_id = x.org AND s.conversation_id = x.conversation
            """,
            logger: self.logger
        )
        // In the same transaction: conversation-service's read model learns it through the outbox.
        try await connection.query(
            """
            INSERT INTO assignee_outbox (organization_id, conversation_id, agent_id, team_id, version, next_attempt_at)
            SELECT x.org, x.conversation, nullif(x.agent, ''), nullif(x.team, '')::uuid, x.version, \(now)
            FROM unnest(\(organizations)::text[], \(conversations)::text[], \(agents)::text[], \(teams)::text[],
                \(versions)::int8[]) AS x(org, conversation, agent, team, version)
            ORDER BY x.org, x.conversation
            ON CONFLICT (organization_id, conversation_id) DO UPDATE
                SET agent_id = excluded.agent_id, team_id = excluded.team_id, version = excluded.version,
                    attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = NULL
                WHERE assignee_outbox.version < excluded.version
            """,
            logger: self.logger
        )
    }

    /// Appends the changes to the history, in one statement, in the order given.
    func record(_ rows: [HistoryRow], at instant: Date, on connection: PostgresConnection) async throws {
        guard !rows.isEmpty else { return }
        let explanations = rows.map { $0.assignment.explanation?.jsonText ?? "" }
        try await connection.query(
            """
            INSERT INTO assignment_history (organization_id, conversation_id, change, from_agent_id, to_agent_id,
                team_id, source, actor_agent_id, note, explanation, occurred_at)
            SELECT x.org, x.conversation, x.change, nullif(x.from_agent, ''), nullif(x.to_agent, ''),
                nullif(x.team, '')::uuid, x.source, nullif(x.actor, ''), x.note, nullif(x.explanation, '')::jsonb,
                \(instant)
            FROM unnest(\(rows.map(\.assignment.organizationID))::text[],
                \(rows.map(\.assignment.conversationID))::text[], \(rows.map(\.change.rawValue))::text[],
                \(rows.map { $0.from ?? "" })::text[], \(rows.map { $0.assignment.agentID ?? "" })::text[],
                \(rows.map { $0.assignment.teamID.map(Self.text) ?? "" })::text[],
                \(rows.map(\.assignment.source.rawValue))::text[], \(rows.map { $0.actor ?? "" })::text[],
                \(rows.map(\.note))::text[], \(explanations)::text[])
                WITH ORDINALITY AS x(org, conversation, change, from_agent, to_agent, team, source, actor, note,
                    explanation, ord)
            ORDER BY x.ord
            """,
            logger: self.logger
        )
    }

    /// Queues the organisation's count of online agents for policy-service (in the caller's
    /// transaction, right after an availability change).
    func queuePresence(_ organizationID: String, now: Date, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO presence_outbox (organization_id, agents_online, observed_at, next_attempt_at)
            SELECT \(organizationID), count(*) FILTER (WHERE availability = 'online'), \(now), \(now)
            FROM agents WHERE organization_id = \(organizationID)
            ON CONFLICT (organization_id) DO UPDATE
                SET agents_online = excluded.agents_online, observed_at = excluded.observed_at, attempts = 0,
                    next_attempt_at = excluded.next_attempt_at, last_error = NULL
            """,
            logger: self.logger
        )
    }
}

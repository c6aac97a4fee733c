import InboxKit
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The writes that decide who has a conversation. Lock order, so that replicas never deadlock:
/// a conversation's assignment row first, then agent rows in id order; draining a queue locks
/// the team's agents first and skips queued rows that someone else holds.
extension AssignmentRepository {
    /// An assignment row as the decisions read it (locked).
    struct Locked: Sendable {
        var assignment: Assignment
        var platform: String
        var kind: String
        var weight: Int
        var respondBy: Date?
        var queuedAt: Date?
        var previousAgentID: String?
    }

    enum RouteDecision: Sendable {
        case assigned(Assignment)
        case queued(Assignment)
        case unchanged(Assignment)
    }

    // MARK: Manual

    /// Gives the conversation to `agentID` (beyond their capacity if need be: a person chose
    /// it). Already theirs: unchanged. Returns the teams whose capacity freed.
    func assign(
        _ conversationID: String, toAgent agentID: String, organizationID: String, actor: String?, note: String,
        now: Date
    ) async throws -> (assignment: Assignment, freedTeams: [UUID]) {
        try await self.transaction { connection in
            var locked = try await self.lock(conversationID, organizationID, create: true, on: connection)!
            let current = locked.assignment
            if current.state == .assigned, current.agentID == agentID { return (current, []) }
            let agents = try await self.lockAgents(
                ids: [agentID] + (current.agentID.map { [$0] } ?? []), organizationID, on: connection)
            guard let target = agents.first(where: { $0.id == agentID }) else {
                throw DomainError.notFound("agent \(agentID) not found", resource: "agent")
            }
            var freed: [UUID] = []
            if current.state == .assigned, let previous = current.agentID {
                try await self.addLoad(
                    -locked.weight, conversations: -1, agentID: previous, organizationID, on: connection)
                freed = try await self.teamIDs(of: previous, organizationID, on: connection)
            }
            locked.weight = Agent.weight(target.weights, platform: locked.platform, kind: locked.kind)
            try await self.addLoad(locked.weight, conversations: 1, agentID: agentID, organizationID, on: connection)
            locked.assignment.state = .assigned
            locked.assignment.agentID = agentID
            locked.assignment.source = .manual
            locked.assignment.explanation = nil
            locked.assignment.assignedAt = now
            locked.assignment.version += 1
            locked.queuedAt = nil
            locked.previousAgentID = nil
            try await self.store(locked, now: now, on: connection)
            try await self.record(
                current.state == .assigned ? .reassigned : .assigned, locked.assignment,
                from: current.state == .assigned ? current.agentID : nil, actor: actor, note: note, at: now,
                on: connection)
            return (locked.assignment, freed)
        }
    }

    /// Puts the conversation in the team's queue (drained by the caller). Already queued there:
    /// unchanged. Returns the teams whose capacity freed.
    func assign(
        _ conversationID: String, toTeam teamID: UUID, organizationID: String, actor: String?, note: String, now: Date
    ) async throws -> (assignment: Assignment, freedTeams: [UUID]) {
        try await self.transaction { connection in
            var locked = try await self.lock(conversationID, organizationID, create: true, on: connection)!
            let current = locked.assignment
            if current.state == .queued, current.teamID == teamID { return (current, []) }
            var freed: [UUID] = []
            if current.state == .assigned, let previous = current.agentID {
                _ = try await self.lockAgents(ids: [previous], organizationID, on: connection)
                try await self.addLoad(
                    -locked.weight, conversations: -1, agentID: previous, organizationID, on: connection)
                freed = try await self.teamIDs(of: previous, organizationID, on: connection)
            }
            locked.assignment.state = .queued
            locked.assignment.agentID = nil
            locked.assignment.teamID = teamID
            locked.assignment.source = .manual
            locked.assignment.explanation = nil
            locked.assignment.version += 1
            locked.queuedAt = now
            locked.previousAgentID = current.state == .assigned ? current.agentID : nil
            try await self.store(locked, now: now, on: connection)
            try await self.record(
                .queued, locked.assignment, from: current.state == .assigned ? current.agentID : nil, actor: actor,
                note: note, at: now, on: connection)
            return (locked.assignment, freed)
        }
    }

    /// Takes the conversation from its agent or queue. Not assigned: unchanged (nil when never
    /// seen). Returns the teams whose capacity freed.
    func unassign(_ conversationID: String, organizationID: String, actor: String?, note: String, now: Date)
        async throws -> (assignment: Assignment?, freedTeams: [UUID])
    {
        try await self.transaction { connection in
            guard var locked = try await self.lock(conversationID, organizationID, create: false, on: connection) else {
                return (nil, [])
            }
            let current = locked.assignment
            if current.state == .unassigned { return (current, []) }
            var freed: [UUID] = []
            if current.state == .assigned, let previous = current.agentID {
                _ = try await self.lockAgents(ids: [previous], organizationID, on: connection)
                try await self.addLoad(
                    -locked.weight, conversations: -1, agentID: previous, organizationID, on: connection)
                freed = try await self.teamIDs(of: previous, organizationID, on: connection)
            }
            locked.assignment.state = .unassigned
            locked.assignment.agentID = nil
            locked.assignment.source = .manual
            locked.assignment.version += 1
            locked.queuedAt = nil
            try await self.store(locked, now: now, on: connection)
            try await self.record(
                .unassigned, locked.assignment, from: current.agentID, actor: actor, note: note, at: now,
                on: connection)
            return (locked.assignment, freed)
        }
    }

    // MARK: Automatic

    /// Routes one conversation: once per route key (a key seen before answers the current
    /// assignment unchanged), and only when it is neither assigned nor queued. No matching rule
    /// throws NOT_FOUND and records nothing, so the same key can be retried after a rule exists.
    func route(_ conversation: ConversationToRoute, rules: [RoutingRule], now: Date) async throws -> RouteDecision {
        try await self.transaction { connection in
            let org = conversation.organizationID
            let fresh = try await connection.query(
                """
                INSERT INTO route_keys (organization_id, route_key, conversation_id, created_at)
                VALUES (\(org), \(conversation.routeKey), \(conversation.conversationID), \(now))
                ON CONFLICT DO NOTHING RETURNING conversation_id
                """,
                logger: self.logger
            )
            var isNew = false
            for try await _ in fresh.decode(String.self) { isNew = true }
            if !isNew {
                let keyed = try await connection.query(
                    """
                    SELECT conversation_id FROM route_keys
                    WHERE organization_id = \(org) AND route_key = \(conversation.routeKey)
                    """,
                    logger: self.logger
                )
                var conversationID = conversation.conversationID
                for try await id in keyed.decode(String.self) { conversationID = id }
                let current = try await self.lock(conversationID, org, create: true, on: connection)!
                return .unchanged(current.assignment)
            }
            var locked = try await self.lock(conversation.conversationID, org, create: true, on: connection)!
            if locked.assignment.state != .unassigned { return .unchanged(locked.assignment) }
            guard let rule = Routing.rule(for: conversation, among: rules) else {
                throw DomainError.notFound(
                    "no enabled routing rule matches conversation \(conversation.conversationID)",
                    resource: "routing_rule")
            }
            let agents = try await self.lockTeamAgents(rule.teamID, org, on: connection)
            let (chosen, candidates) = Routing.choose(
                platform: conversation.platform, kind: conversation.kind, among: agents)
            let previous = locked.assignment.agentID
            locked.platform = conversation.platform
            locked.kind = conversation.kind
            locked.respondBy = conversation.respondBy
            locked.previousAgentID = nil
            locked.assignment.teamID = rule.teamID
            locked.assignment.source = .automatic
            locked.assignment.version += 1
            var explanation = RoutingExplanation(
                ruleID: rule.id, ruleName: rule.name, teamID: rule.teamID, candidates: candidates, summary: "")
            if let chosen {
                let weight = Agent.weight(chosen.weights, platform: conversation.platform, kind: conversation.kind)
                try await self.take(weight, agentID: chosen.id, org, on: connection)
                explanation.summary =
                    "Rule '\(rule.name)' chose the team; \(chosen.id) was next in turn with free capacity "
                    + "(load \(chosen.load) + \(weight) of \(chosen.capacity))."
                locked.weight = weight
                locked.queuedAt = nil
                locked.assignment.state = .assigned
                locked.assignment.agentID = chosen.id
                locked.assignment.assignedAt = now
            } else {
                explanation.summary =
                    "Rule '\(rule.name)' chose the team; nobody was online with free capacity, so it waits in the "
                    + "team's queue."
                locked.weight = 1
                locked.queuedAt = now
                locked.assignment.state = .queued
                locked.assignment.agentID = nil
            }
            locked.assignment.explanation = explanation
            try await self.store(locked, now: now, on: connection)
            try await self.record(
                chosen == nil ? .queued : .assigned, locked.assignment, from: previous, actor: nil, note: "",
                at: now, on: connection)
            return chosen == nil ? .queued(locked.assignment) : .assigned(locked.assignment)
        }
    }

    /// Assigns the team's queue, most urgent first (sooner `respond_by`, then oldest), to its
    /// online agents with free capacity, round-robin. Returns how many it assigned.
    @discardableResult
    func drain(_ teamID: UUID, organizationID: String, now: Date, limit: Int = 500) async throws -> Int {
        try await self.transaction { connection in
            var agents = try await self.lockTeamAgents(teamID, organizationID, on: connection)
            guard agents.contains(where: { $0.availability == .online }) else { return 0 }
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.lockedColumns) FROM assignments
                WHERE organization_id = \(organizationID) AND team_id = \(teamID) AND state = 'queued'
                ORDER BY respond_by NULLS LAST, queued_at, conversation_id
                LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """,
                logger: self.logger
            )
            var queue: [Locked] = []
            for try await row in rows.decode(LockedRow.self) { queue.append(try Self.locked(row)) }
            var assigned = 0
            for var locked in queue {
                let (chosen, candidates) = Routing.choose(platform: locked.platform, kind: locked.kind, among: agents)
                guard let chosen, let index = agents.firstIndex(where: { $0.id == chosen.id }) else { continue }
                let weight = Agent.weight(chosen.weights, platform: locked.platform, kind: locked.kind)
                let turn = try await self.take(weight, agentID: chosen.id, organizationID, on: connection)
                agents[index].load += weight
                agents[index].openConversations += 1
                agents[index].lastTurn = turn
                let previous = locked.previousAgentID
                locked.weight = weight
                locked.queuedAt = nil
                locked.previousAgentID = nil
                locked.assignment.state = .assigned
                locked.assignment.agentID = chosen.id
                locked.assignment.source = .automatic
                locked.assignment.assignedAt = now
                locked.assignment.version += 1
                locked.assignment.explanation = RoutingExplanation(
                    ruleID: nil, ruleName: "", teamID: teamID, candidates: candidates,
                    summary: "Taken from the team's queue, most urgent first: \(chosen.id) was next in turn with free "
                        + "capacity (load \(chosen.load) + \(weight) of \(chosen.capacity)).")
                try await self.store(locked, now: now, on: connection)
                try await self.record(
                    previous == nil ? .assigned : .reassigned, locked.assignment, from: previous, actor: nil,
                    note: "", at: now, on: connection)
                assigned += 1
            }
            return assigned
        }
    }

    // MARK: Availability

    /// Sets the agent's availability. Going away or offline hands their open conversations back
    /// to each conversation's team queue; returns the agent and the teams to drain now (every
    /// team of an agent who came online; the teams whose away policy reassigns to colleagues).
    func setAvailability(_ agentID: String, _ availability: Availability, organizationID: String, now: Date)
        async throws -> (agent: Agent, drain: [UUID])
    {
        let drain: [UUID] = try await self.transaction { connection in
            // Assignment rows before the agent row (the lock order).
            _ = try await self.lockAssigned(to: agentID, organizationID, on: connection)
            let found = try await self.lockAgents(ids: [agentID], organizationID, on: connection)
            guard !found.isEmpty else {
                throw DomainError.notFound("agent \(agentID) not found", resource: "agent")
            }
            try await connection.query(
                """
                UPDATE agents SET availability = \(availability.rawValue), updated_at = \(now)
                WHERE organization_id = \(organizationID) AND id = \(agentID)
                """,
                logger: self.logger
            )
            try await self.queuePresence(organizationID, now: now, on: connection)
            let teams = try await self.teamIDs(of: agentID, organizationID, on: connection)
            if availability == .online { return teams }
            let open = try await self.lockAssigned(to: agentID, organizationID, on: connection)
            let policies = try await self.awayPolicies(organizationID, on: connection)
            var reassign: Set<UUID> = []
            for var locked in open {
                try await self.addLoad(
                    -locked.weight, conversations: -1, agentID: agentID, organizationID, on: connection)
                let teamID = locked.assignment.teamID ?? teams.first
                locked.assignment.agentID = nil
                locked.assignment.teamID = teamID
                locked.assignment.state = teamID == nil ? .unassigned : .queued
                locked.assignment.source = .automatic
                locked.assignment.version += 1
                locked.queuedAt = teamID == nil ? nil : now
                locked.previousAgentID = agentID
                try await self.store(locked, now: now, on: connection)
                try await self.record(
                    teamID == nil ? .unassigned : .queued, locked.assignment, from: agentID, actor: nil,
                    note: "\(agentID) is \(availability.rawValue)", at: now, on: connection)
                if let teamID, policies[teamID] == .reassignToColleagues { reassign.insert(teamID) }
            }
            return reassign.sorted { $0.uuidString < $1.uuidString }
        }
        guard let agent = try await self.agent(agentID, organizationID: organizationID) else {
            throw DomainError.notFound("agent \(agentID) not found", resource: "agent")
        }
        return (agent, drain)
    }

    // MARK: Locks and writes

    static let lockedColumns = """
        \(Self.assignmentColumns), platform, kind, weight, respond_by, queued_at, previous_agent_id
        """
    typealias LockedRow = (
        String, String, String?, UUID?, String, String, String?, Date?, Int, String, String, Int, Date?, Date?, String?
    )

    static func locked(_ row: LockedRow) throws -> Locked {
        Locked(
            assignment: try Self.assignment((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8)),
            platform: row.9, kind: row.10, weight: row.11, respondBy: row.12, queuedAt: row.13,
            previousAgentID: row.14)
    }

    /// Locks the conversation's row, first creating an empty one (version 0) when `create`, so
    /// that concurrent decisions on one conversation wait for each other.
    func lock(_ conversationID: String, _ organizationID: String, create: Bool, on connection: PostgresConnection)
        async throws -> Locked?
    {
        if create {
            try await connection.query(
                """
                INSERT INTO assignments (organization_id, conversation_id, state, source, version)
                VALUES (\(organizationID), \(conversationID), 'unassigned', 'manual', 0) ON CONFLICT DO NOTHING
                """,
                logger: self.logger
            )
        }
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.lockedColumns) FROM assignments
            WHERE organization_id = \(organizationID) AND conversation_id = \(conversationID) FOR UPDATE
            """,
            logger: self.logger
        )
        for try await row in rows.decode(LockedRow.self) { return try Self.locked(row) }
        return nil
    }

    func lockAssigned(to agentID: String, _ organizationID: String, on connection: PostgresConnection)
        async throws -> [Locked]
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.lockedColumns) FROM assignments
            WHERE organization_id = \(organizationID) AND agent_id = \(agentID) AND state = 'assigned'
            ORDER BY conversation_id FOR UPDATE
            """,
            logger: self.logger
        )
        var result: [Locked] = []
        for try await row in rows.decode(LockedRow.self) { result.append(try Self.locked(row)) }
        return result
    }

    static let routingAgentColumns =
        "a.id, a.availability, a.capacity, a.weights::text, a.open_conversations, a.load, a.last_turn"
    typealias RoutingAgentRow = (String, String, Int, String, Int, Int, Int)

    static func routingAgent(_ row: RoutingAgentRow) throws -> RoutingAgent {
        RoutingAgent(
            id: row.0, availability: Availability(rawValue: row.1) ?? .offline, capacity: row.2,
            weights: try JSONDecoder().decode([ConversationWeight].self, from: Data(row.3.utf8)),
            openConversations: row.4, load: row.5, lastTurn: row.6)
    }

    /// Locks these agents in id order.
    func lockAgents(ids: [String], _ organizationID: String, on connection: PostgresConnection) async throws
        -> [RoutingAgent]
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.routingAgentColumns) FROM agents a
            WHERE a.organization_id = \(organizationID) AND a.id = ANY(\(ids)) ORDER BY a.id FOR UPDATE
            """,
            logger: self.logger
        )
        var result: [RoutingAgent] = []
        for try await row in rows.decode(RoutingAgentRow.self) { result.append(try Self.routingAgent(row)) }
        return result
    }

    /// Locks the team's agents in id order: routing into one team takes turns across replicas,
    /// so nobody's capacity is counted twice.
    func lockTeamAgents(_ teamID: UUID, _ organizationID: String, on connection: PostgresConnection) async throws
        -> [RoutingAgent]
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.routingAgentColumns) FROM agents a
            JOIN team_members m ON m.organization_id = a.organization_id AND m.agent_id = a.id
            WHERE a.organization_id = \(organizationID) AND m.team_id = \(teamID)
            ORDER BY a.id FOR UPDATE OF a
            """,
            logger: self.logger
        )
        var result: [RoutingAgent] = []
        for try await row in rows.decode(RoutingAgentRow.self) { result.append(try Self.routingAgent(row)) }
        return result
    }

    /// Adds an automatic assignment of `weight` to the (locked) agent and gives them the latest
    /// turn; returns that turn.
    @discardableResult
    func take(_ weight: Int, agentID: String, _ organizationID: String, on connection: PostgresConnection)
        async throws -> Int
    {
        let rows = try await connection.query(
            """
            UPDATE agents SET load = load + \(weight), open_conversations = open_conversations + 1,
                last_turn = nextval('routing_turns')
            WHERE organization_id = \(organizationID) AND id = \(agentID) RETURNING last_turn
            """,
            logger: self.logger
        )
        for try await turn in rows.decode(Int.self) { return turn }
        return 0
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

    func awayPolicies(_ organizationID: String, on connection: PostgresConnection) async throws -> [UUID: AwayPolicy] {
        let rows = try await connection.query(
            "SELECT id, away_policy FROM teams WHERE organization_id = \(organizationID)", logger: self.logger)
        var result: [UUID: AwayPolicy] = [:]
        for try await (id, policy) in rows.decode((UUID, String).self) { result[id] = AwayPolicy(rawValue: policy) }
        return result
    }

    func store(_ locked: Locked, now: Date, on connection: PostgresConnection) async throws {
        let a = locked.assignment
        let explanation = try a.explanation.map { try Self.json($0) }
        try await connection.query(
            """
            UPDATE assignments SET agent_id = \(a.agentID), team_id = \(a.teamID), state = \(a.state.rawValue),
                source = \(a.source.rawValue), explanation = \(explanation)::jsonb, version = \(a.version),
                assigned_at = \(a.assignedAt), queued_at = \(locked.queuedAt), platform = \(locked.platform),
                kind = \(locked.kind), weight = \(locked.weight), respond_by = \(locked.respondBy),
                previous_agent_id = \(locked.previousAgentID), updated_at = \(now)
            WHERE organization_id = \(a.organizationID) AND conversation_id = \(a.conversationID)
            """,
            logger: self.logger
        )
        // In the same transaction: conversation-service's read model learns it through the outbox.
        try await connection.query(
            """
            INSERT INTO assignee_outbox (organization_id, conversation_id, agent_id, team_id, version, next_attempt_at)
            VALUES (\(a.organizationID), \(a.conversationID), \(a.agentID), \(a.teamID), \(a.version), \(now))
            ON CONFLICT (organization_id, conversation_id) DO UPDATE
                SET agent_id = excluded.agent_id, team_id = excluded.team_id, version = excluded.version,
                    attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = NULL
                WHERE assignee_outbox.version < excluded.version
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

    func record(
        _ change: AssignmentHistoryEntry.Change, _ a: Assignment, from: String?, actor: String?, note: String,
        at instant: Date, on connection: PostgresConnection
    ) async throws {
        let explanation = try a.explanation.map { try Self.json($0) }
        try await connection.query(
            """
            INSERT INTO assignment_history (organization_id, conversation_id, change, from_agent_id, to_agent_id,
                team_id, source, actor_agent_id, note, explanation, occurred_at)
            VALUES (\(a.organizationID), \(a.conversationID), \(change.rawValue), \(from), \(a.agentID), \(a.teamID),
                \(a.source.rawValue), \(actor), \(note), \(explanation)::jsonb, \(instant))
            """,
            logger: self.logger
        )
    }
}

import InboxKit
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The writes that decide who has a conversation. Lock order, so that replicas never deadlock:
/// assignment rows first (by organisation and conversation id), then agent rows (by organisation
/// and agent id); draining a queue locks the team's agents first and skips queued rows that
/// someone else holds (it never waits for them). A deadlock or serialization failure that slips
/// through anyway retries the whole transaction (`AssignmentRepository.transaction`).
///
/// Routing a batch and draining a queue are set-based: a handful of statements whatever the
/// number of conversations, every decision made in Swift against the locked agents
/// (``AgentPool``), then one write per table (AssignmentRepository+Writes.swift).
extension AssignmentRepository {
    /// An assignment row as the decisions read it (locked).
    struct Locked: Sendable {
        var assignment: Assignment
        var platform: String
        var kind: String
        var weight: Int
        var queuedAt: Date?
        var previousAgentID: String?
    }

    /// A conversation of an organisation (the assignment's primary key).
    struct ConversationKey: Hashable, Sendable {
        var organizationID: String
        var conversationID: String
    }

    /// A route key of an organisation (`route_keys`' primary key).
    struct RouteKey: Hashable, Sendable {
        var organizationID: String
        var key: String
    }

    enum RouteDecision: Sendable {
        case assigned(Assignment)
        case queued(Assignment)
        case unchanged(Assignment)
        /// No enabled rule matches: nothing was recorded, so the same key can be retried once a
        /// rule exists.
        case noRule
    }

    enum ReleaseDecision: Sendable {
        case released(Assignment)
        /// Nothing held it (already released, unassigned, or unknown: version 0).
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
            guard var locked = try await self.lock(conversationID, organizationID, create: true, on: connection) else {
                throw DomainError.notFound("conversation \(conversationID) has no assignment", resource: "assignment")
            }
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
            try await self.store([locked], now: now, on: connection)
            try await self.record(
                [
                    HistoryRow(
                        change: current.state == .assigned ? .reassigned : .assigned, assignment: locked.assignment,
                        from: current.state == .assigned ? current.agentID : nil, actor: actor, note: note)
                ], at: now, on: connection)
            return (locked.assignment, freed)
        }
    }

    /// Puts the conversation in the team's queue (drained by the caller). Already queued there:
    /// unchanged. Returns the teams whose capacity freed.
    func assign(
        _ conversationID: String, toTeam teamID: UUID, organizationID: String, actor: String?, note: String, now: Date
    ) async throws -> (assignment: Assignment, freedTeams: [UUID]) {
        try await self.transaction { connection in
            guard var locked = try await self.lock(conversationID, organizationID, create: true, on: connection) else {
                throw DomainError.notFound("conversation \(conversationID) has no assignment", resource: "assignment")
            }
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
            try await self.store([locked], now: now, on: connection)
            try await self.record(
                [
                    HistoryRow(
                        change: .queued, assignment: locked.assignment,
                        from: current.state == .assigned ? current.agentID : nil, actor: actor, note: note)
                ], at: now, on: connection)
            return (locked.assignment, freed)
        }
    }

    /// Takes the conversation from its agent or queue. Not assigned (or released): unchanged (nil
    /// when never seen). Returns the teams whose capacity freed.
    func unassign(_ conversationID: String, organizationID: String, actor: String?, note: String, now: Date)
        async throws -> (assignment: Assignment?, freedTeams: [UUID])
    {
        try await self.transaction { connection in
            guard var locked = try await self.lock(conversationID, organizationID, create: false, on: connection) else {
                return (nil, [])
            }
            let current = locked.assignment
            if current.state == .unassigned || current.state == .released { return (current, []) }
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
            try await self.store([locked], now: now, on: connection)
            try await self.record(
                [
                    HistoryRow(
                        change: .unassigned, assignment: locked.assignment, from: current.agentID, actor: actor,
                        note: note)
                ], at: now, on: connection)
            return (locked.assignment, freed)
        }
    }

    // MARK: Automatic

    /// Routes a batch in one transaction of set-based statements; one decision per item, in order.
    ///
    /// Rules are matched first, in Swift: an item that no rule matches is `noRule` and writes
    /// nothing (unless its key was used before: then it answers that decision, unchanged). The
    /// first item of each key claims it (`route_keys`, ON CONFLICT DO NOTHING); a key seen before,
    /// or repeated in the batch, answers its conversation's current assignment unchanged. The
    /// claimed conversations' rows are created when missing and locked; those already assigned or
    /// queued are unchanged. Then the agents of every team involved are read, those who can take
    /// work locked in one statement (``routingAgents(ofTeams:on:)``), and the conversations are
    /// allocated most urgent first (escalated, then sooner `respond_by`, then the batch's order)
    /// against those agents as each decision leaves them.
    func route(
        _ items: [ConversationToRoute], rules: [String: [RoutingRule]], escalation: Escalation, now: Date
    ) async throws -> [RouteDecision] {
        guard !items.isEmpty else { return [] }
        let matched = items.map { Routing.rule(for: $0, among: rules[$0.organizationID] ?? []) }
        // The first item of each key speaks for it.
        var firsts: [RouteKey: Int] = [:]
        for (index, item) in items.enumerated() {
            let key = RouteKey(organizationID: item.organizationID, key: item.routeKey)
            if firsts[key] == nil { firsts[key] = index }
        }
        let firstOfKey = firsts
        let claims = firstOfKey.filter { matched[$0.value] != nil }
        return try await self.transaction { connection in
            let fresh = try await self.claim(
                claims.map { (key: $0.key, conversationID: items[$0.value].conversationID) }, now: now,
                on: connection)
            let seen = try await self.assignments(
                ofRouteKeys: firstOfKey.keys.filter { !fresh.contains($0) }, on: connection)
            let freshItems = fresh.compactMap { firstOfKey[$0] }.sorted()
            var locked = try await self.lockForRouting(
                Array(Set(freshItems.map { Self.conversationKey(items[$0]) })), on: connection)

            // The first claimed item of each routable conversation is routed; the rest answer unchanged.
            var toRoute: [Int] = []
            var taken: Set<ConversationKey> = []
            for index in freshItems {
                let key = Self.conversationKey(items[index])
                guard let row = locked[key], row.assignment.state.isRoutable, !taken.contains(key) else { continue }
                taken.insert(key)
                toRoute.append(index)
            }
            let teams = Set(
                toRoute.compactMap { index in
                    matched[index].map {
                        AgentPool.TeamKey(organizationID: items[index].organizationID, teamID: $0.teamID)
                    }
                })
            var pool = AgentPool(try await self.routingAgents(ofTeams: Array(teams), on: connection))

            var decisions = [RouteDecision?](repeating: nil, count: items.count)
            var stored: [Locked] = []
            var history: [HistoryRow] = []
            let urgent = toRoute.sorted { lhs, rhs in
                Self.urgency(items[lhs], lhs, escalation, now) < Self.urgency(items[rhs], rhs, escalation, now)
            }
            for index in urgent {
                let item = items[index]
                let key = Self.conversationKey(item)
                guard let rule = matched[index], var row = locked[key] else { continue }
                let team = AgentPool.TeamKey(organizationID: item.organizationID, teamID: rule.teamID)
                let escalated = escalation.applies(to: item.respondBy, at: now)
                let reason = escalated ? item.respondBy.map { escalation.reason(respondBy: $0, at: now) } : nil
                let (chosen, weight, candidates) = pool.take(team, platform: item.platform, kind: item.kind)
                let previous = row.assignment.agentID
                row.platform = item.platform
                row.kind = item.kind
                row.previousAgentID = nil
                row.assignment.respondBy = item.respondBy
                row.assignment.escalatedAt = escalated ? now : nil
                row.assignment.teamID = rule.teamID
                row.assignment.source = .automatic
                row.assignment.version += 1
                var explanation = RoutingExplanation(
                    ruleID: rule.id, ruleName: rule.name, teamID: rule.teamID, candidates: candidates, summary: "")
                if let chosen {
                    explanation.summary = Self.assignedSummary(rule, chosen, weight: weight, escalation: reason)
                    row.weight = weight
                    row.queuedAt = nil
                    row.assignment.state = .assigned
                    row.assignment.agentID = chosen.id
                    row.assignment.assignedAt = now
                } else {
                    explanation.summary = Self.queuedSummary(rule, escalation: reason)
                    row.weight = 1
                    row.queuedAt = now
                    row.assignment.state = .queued
                    row.assignment.agentID = nil
                }
                row.assignment.explanation = explanation
                locked[key] = row
                stored.append(row)
                history.append(
                    HistoryRow(
                        change: chosen == nil ? .queued : .assigned, assignment: row.assignment, from: previous,
                        actor: nil, note: ""))
                decisions[index] = chosen == nil ? .queued(row.assignment) : .assigned(row.assignment)
            }
            try await self.adjust(pool.changes, on: connection)
            try await self.store(stored, now: now, on: connection)
            try await self.record(history, at: now, on: connection)

            // The others: unchanged (as this batch leaves their conversation), or no rule.
            return items.enumerated().map { index, item -> RouteDecision in
                if let decision = decisions[index] { return decision }
                let routeKey = RouteKey(organizationID: item.organizationID, key: item.routeKey)
                let first = firstOfKey[routeKey] ?? index
                if fresh.contains(routeKey) {
                    let key = Self.conversationKey(items[first])
                    return .unchanged(
                        locked[key]?.assignment
                            ?? Assignment.none(key.conversationID, organizationID: key.organizationID))
                }
                if let before = seen[routeKey] {
                    let key = ConversationKey(
                        organizationID: before.organizationID, conversationID: before.conversationID)
                    return .unchanged(locked[key]?.assignment ?? before)
                }
                if matched[first] != nil {
                    return .unchanged(Assignment.none(items[first].conversationID, organizationID: item.organizationID))
                }
                return .noRule
            }
        }
    }

    /// Assigns the team's queue, most urgent first (sooner `respond_by`, then oldest: escalated
    /// conversations, whose `respond_by` is nearest, lead it), to its online agents with free
    /// capacity, round-robin; one set-based write for all of them. Takes at most as many queued
    /// rows as the online agents have free capacity. Returns how many it assigned.
    @discardableResult
    func drain(_ teamID: UUID, organizationID: String, escalation: Escalation, now: Date, limit: Int = 500)
        async throws -> Int
    {
        try await self.transaction { connection in
            let team = AgentPool.TeamKey(organizationID: organizationID, teamID: teamID)
            var pool = AgentPool(try await self.routingAgents(ofTeams: [team], on: connection))
            let slots = min(limit, pool.freeSlots(team))
            guard slots > 0 else { return 0 }
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.lockedColumns) FROM assignments
                WHERE organization_id = \(organizationID) AND team_id = \(teamID) AND state = 'queued'
                ORDER BY respond_by NULLS LAST, queued_at, conversation_id
                LIMIT \(slots) FOR UPDATE SKIP LOCKED
                """,
                logger: self.logger
            )
            var queue: [Locked] = []
            for try await row in rows.decode(LockedRow.self) { queue.append(try Self.locked(row)) }
            var stored: [Locked] = []
            var history: [HistoryRow] = []
            for var locked in queue {
                guard pool.freeSlots(team) > 0 else { break }
                let (chosen, weight, candidates) = pool.take(team, platform: locked.platform, kind: locked.kind)
                guard let chosen else { continue }
                let respondBy = locked.assignment.respondBy
                let escalated = escalation.applies(to: respondBy, at: now)
                if escalated, locked.assignment.escalatedAt == nil, let respondBy {
                    locked.assignment.escalatedAt = escalation.start(for: respondBy)
                }
                let previous = locked.previousAgentID
                locked.weight = weight
                locked.queuedAt = nil
                locked.previousAgentID = nil
                locked.assignment.state = .assigned
                locked.assignment.agentID = chosen.id
                locked.assignment.source = .automatic
                locked.assignment.assignedAt = now
                locked.assignment.version += 1
                var summary =
                    "Taken from the team's queue, most urgent first: \(chosen.id) was next in turn with free "
                    + "capacity (load \(chosen.load) + \(weight) of \(chosen.capacity))."
                if escalated, let respondBy {
                    summary += " Escalated: \(escalation.reason(respondBy: respondBy, at: now))."
                }
                locked.assignment.explanation = RoutingExplanation(
                    ruleID: nil, ruleName: "", teamID: teamID, candidates: candidates, summary: summary)
                stored.append(locked)
                history.append(
                    HistoryRow(
                        change: previous == nil ? .assigned : .reassigned, assignment: locked.assignment,
                        from: previous, actor: nil, note: ""))
            }
            try await self.adjust(pool.changes, on: connection)
            try await self.store(stored, now: now, on: connection)
            try await self.record(history, at: now, on: connection)
            return stored.count
        }
    }

    /// Ends the assignments of conversations that are over: an assigned one gives its agent's
    /// capacity back, a queued one leaves the queue; both become `released` (routed again when
    /// they reopen), recorded with `note`. Unknown, unassigned or already released: unchanged.
    /// One decision per item, in order; returns the teams of the agents whose capacity freed (to
    /// drain after the commit).
    func release(_ items: [ConversationKey], note: String, now: Date) async throws
        -> (decisions: [ReleaseDecision], freedTeams: [AgentPool.TeamKey])
    {
        guard !items.isEmpty else { return ([], []) }
        return try await self.transaction { connection in
            var locked = try await self.lockExisting(Array(Set(items)), on: connection)
            let holders = Set(
                locked.values.filter { $0.assignment.state == .assigned }.compactMap { row in
                    row.assignment.agentID.map {
                        AgentPool.AgentKey(organizationID: row.assignment.organizationID, id: $0)
                    }
                })
            try await self.lockAgents(keys: Array(holders), on: connection)
            var changes: [AgentPool.AgentKey: AgentPool.Change] = [:]
            var decisions: [ReleaseDecision] = []
            var stored: [Locked] = []
            var history: [HistoryRow] = []
            var released: Set<ConversationKey> = []
            for key in items {
                guard var row = locked[key], row.assignment.version > 0 else {
                    decisions.append(
                        .unchanged(Assignment.none(key.conversationID, organizationID: key.organizationID)))
                    continue
                }
                let state = row.assignment.state
                guard !released.contains(key), state == .assigned || state == .queued else {
                    decisions.append(.unchanged(row.assignment))
                    continue
                }
                released.insert(key)
                let previous = state == .assigned ? row.assignment.agentID : nil
                if let previous {
                    let agent = AgentPool.AgentKey(organizationID: key.organizationID, id: previous)
                    var change =
                        changes[agent]
                        ?? AgentPool.Change(
                            organizationID: key.organizationID, agentID: previous, load: 0, conversations: 0, turn: nil)
                    change.load -= row.weight
                    change.conversations -= 1
                    changes[agent] = change
                }
                row.assignment.state = .released
                row.assignment.agentID = nil
                row.assignment.source = .automatic
                row.assignment.explanation = nil
                row.assignment.escalatedAt = nil
                row.assignment.version += 1
                row.queuedAt = nil
                row.previousAgentID = nil
                locked[key] = row
                stored.append(row)
                history.append(
                    HistoryRow(change: .released, assignment: row.assignment, from: previous, actor: nil, note: note))
                decisions.append(.released(row.assignment))
            }
            try await self.adjust(Array(changes.values), on: connection)
            try await self.store(stored, now: now, on: connection)
            try await self.record(history, at: now, on: connection)
            let freed = try await self.teams(of: Array(changes.keys), on: connection)
            return (decisions, freed)
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
            guard !open.isEmpty else { return [] }
            let policies = try await self.awayPolicies(organizationID, on: connection)
            var reassign: Set<UUID> = []
            var stored: [Locked] = []
            var history: [HistoryRow] = []
            for var locked in open {
                let teamID = locked.assignment.teamID ?? teams.first
                locked.assignment.agentID = nil
                locked.assignment.teamID = teamID
                locked.assignment.state = teamID == nil ? .unassigned : .queued
                locked.assignment.source = .automatic
                locked.assignment.version += 1
                locked.queuedAt = teamID == nil ? nil : now
                locked.previousAgentID = agentID
                stored.append(locked)
                history.append(
                    HistoryRow(
                        change: teamID == nil ? .unassigned : .queued, assignment: locked.assignment, from: agentID,
                        actor: nil, note: "\(agentID) is \(availability.rawValue)"))
                if let teamID, policies[teamID] == .reassignToColleagues { reassign.insert(teamID) }
            }
            try await self.addLoad(
                -open.reduce(0) { $0 + $1.weight }, conversations: -open.count, agentID: agentID, organizationID,
                on: connection)
            try await self.store(stored, now: now, on: connection)
            try await self.record(history, at: now, on: connection)
            return reassign.sorted { $0.uuidString < $1.uuidString }
        }
        guard let agent = try await self.agent(agentID, organizationID: organizationID) else {
            throw DomainError.notFound("agent \(agentID) not found", resource: "agent")
        }
        return (agent, drain)
    }

    // MARK: Explanations

    static func assignedSummary(_ rule: RoutingRule, _ chosen: RoutingAgent, weight: Int, escalation: String?)
        -> String
    {
        let turn =
            "\(chosen.id) was next in turn with free capacity (load \(chosen.load) + \(weight) of \(chosen.capacity))."
        guard let escalation else { return "Rule '\(rule.name)' chose the team; \(turn)" }
        return "Rule '\(rule.name)' chose the team; escalated (\(escalation)), so it was routed ahead of the "
            + "normal order: \(turn)"
    }

    static func queuedSummary(_ rule: RoutingRule, escalation: String?) -> String {
        guard let escalation else {
            return "Rule '\(rule.name)' chose the team; nobody was online with free capacity, so it waits in the "
                + "team's queue."
        }
        return "Rule '\(rule.name)' chose the team; nobody was online with free capacity, so it waits first in the "
            + "team's queue: escalated (\(escalation))."
    }

    /// The order a batch is allocated in: escalated first, then sooner `respond_by` (none last),
    /// then the batch's own order.
    static func urgency(_ item: ConversationToRoute, _ index: Int, _ escalation: Escalation, _ now: Date)
        -> (Int, Double, Int)
    {
        (
            escalation.applies(to: item.respondBy, at: now) ? 0 : 1,
            item.respondBy?.timeIntervalSince1970 ?? .infinity, index
        )
    }

    static func conversationKey(_ item: ConversationToRoute) -> ConversationKey {
        ConversationKey(organizationID: item.organizationID, conversationID: item.conversationID)
    }
}

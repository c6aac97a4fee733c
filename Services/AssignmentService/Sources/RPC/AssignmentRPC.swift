import GRPCCore
import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `inbox.v1.AssignmentService` handlers: teams and agents, manual assignment, automatic
/// routing with its explanation, the queues and the away policy. Every call acts on the caller's
/// organisation (RouteConversation's items name theirs; services and operators route).
///
/// Bad references inside a request body (`agent.team_ids[i]`, `rule.team_id`) are
/// INVALID_ARGUMENT naming the field; the resource a call acts on (the agent of GetAgent or of
/// AssignConversation, a team target) is NOT_FOUND when it is not the organisation's.
struct AssignmentRPC: Inbox_V1_AssignmentService.SimpleServiceProtocol {
    let repository: AssignmentRepository
    let inbox: any InboxStateSource
    let now: @Sendable () -> Date
    /// Which conversations go ahead of the normal urgency order (ESCALATION_WINDOW_MINUTES).
    var escalation: Escalation = .default

    // MARK: Teams

    func createTeam(request: Inbox_V1_CreateTeamRequest, context: ServerContext) async throws -> Inbox_V1_Team {
        let caller = try Caller.authenticated()
        try caller.require(.admin)
        let organizationID = try caller.organization(requested: "")
        let name = request.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw DomainError.invalidArgument("name must be 1 to 200 characters", field: "name")
        }
        let team = Team(
            id: UUID(), organizationID: organizationID, name: name,
            awayPolicy: try AwayPolicy(proto: request.awayPolicy, field: "away_policy"), createdAt: self.now())
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        return try await self.repository.createTeam(
            team, idempotencyKey: try IdempotencyKey.optional(request.idempotencyKey),
            fingerprint: try IdempotencyKey.fingerprint(unkeyed)
        ).proto
    }

    func listTeams(request: Inbox_V1_ListTeamsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListTeamsResponse
    {
        let organizationID = try Caller.authenticated().organization(requested: "")
        let size = try PageToken.pageSize(request.pageSize)
        let after = try PageToken.decode("teams", request.pageToken).map { text throws(DomainError) in
            guard let id = UUID(uuidString: text) else { throw PageToken.invalid }
            return id
        }
        let page = try await self.repository.teams(organizationID: organizationID, after: after, limit: size + 1)
        return .with {
            $0.teams = page.prefix(size).map(\.proto)
            if page.count > size, let last = page.prefix(size).last {
                $0.nextPageToken = PageToken.encode("teams", last.id.text)
            }
        }
    }

    // MARK: Agents

    func upsertAgent(request: Inbox_V1_UpsertAgentRequest, context: ServerContext) async throws -> Inbox_V1_Agent {
        let caller = try Caller.authenticated()
        try caller.require(.admin)
        let organizationID = try caller.organization(requested: request.agent.organizationID)
        var proto = request.agent
        guard (1...128).contains(proto.id.utf8.count) else {
            throw DomainError.invalidArgument("agent.id must be 1 to 128 characters", field: "agent.id")
        }
        let fields: Set<String> = ["display_name", "email", "team_ids", "capacity", "weights"]
        if let unknown = request.updateMask.paths.first(where: { !fields.contains($0) }) {
            throw DomainError.invalidArgument("update_mask names an unknown field '\(unknown)'", field: "update_mask")
        }
        if !request.updateMask.paths.isEmpty,
            let existing = try await self.repository.agent(proto.id, organizationID: organizationID)
        {
            // A partial update: the fields outside the mask keep their stored values.
            var merged = existing.proto
            for path in request.updateMask.paths {
                switch path {
                case "display_name": merged.displayName = proto.displayName
                case "email": merged.email = proto.email
                case "team_ids": merged.teamIds = proto.teamIds
                case "capacity": merged.capacity = proto.capacity
                default: merged.weights = proto.weights
                }
            }
            proto = merged
        }
        guard proto.capacity > 0 else {
            throw DomainError.invalidArgument("agent.capacity must be at least 1", field: "agent.capacity")
        }
        guard proto.displayName.count <= 200, proto.email.count <= 320 else {
            throw DomainError.invalidArgument(
                "agent.display_name is at most 200 and agent.email at most 320 characters", field: "agent.display_name")
        }
        var teamIDs: [UUID] = []
        for (index, text) in proto.teamIds.enumerated() {
            guard let id = UUID(uuidString: text) else {
                throw DomainError.invalidArgument(
                    "agent.team_ids[\(index)] is not a team id", field: "agent.team_ids[\(index)]")
            }
            if !teamIDs.contains(id) { teamIDs.append(id) }
        }
        let known = try await self.repository.existingTeams(teamIDs, organizationID: organizationID)
        if let unknown = teamIDs.firstIndex(where: { !known.contains($0) }) {
            let index = proto.teamIds.firstIndex { UUID(uuidString: $0) == teamIDs[unknown] } ?? unknown
            throw DomainError.invalidArgument(
                "agent.team_ids[\(index)] names no team of this organisation", field: "agent.team_ids[\(index)]")
        }
        var weights: [ConversationWeight] = []
        for (index, weight) in proto.weights.enumerated() {
            guard weight.weight >= 1 else {
                throw DomainError.invalidArgument(
                    "agent.weights[\(index)].weight must be at least 1", field: "agent.weights[\(index)].weight")
            }
            guard weight.platform != .unspecified || weight.kind != .unspecified else {
                throw DomainError.invalidArgument(
                    "agent.weights[\(index)] must name a platform, a kind or both", field: "agent.weights[\(index)]")
            }
            weights.append(
                ConversationWeight(
                    platform: ProtoNames.platform(weight.platform), kind: ProtoNames.kind(weight.kind),
                    weight: Int(weight.weight)))
        }
        let agent = try await self.repository.upsert(
            Agent(
                id: proto.id, organizationID: organizationID, displayName: proto.displayName, email: proto.email,
                teamIDs: teamIDs, capacity: Int(proto.capacity), weights: weights, availability: .offline,
                openConversations: 0, load: 0, updatedAt: self.now()))
        // More capacity (or new teams) may take from the queues at once.
        if agent.availability == .online { try await self.drain(agent.teamIDs, organizationID) }
        return try await self.agent(agent.id, organizationID).proto
    }

    func getAgent(request: Inbox_V1_GetAgentRequest, context: ServerContext) async throws -> Inbox_V1_Agent {
        let organizationID = try Caller.authenticated().organization(requested: "")
        return try await self.agent(request.agentID, organizationID).proto
    }

    func listAgents(request: Inbox_V1_ListAgentsRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAgentsResponse
    {
        let organizationID = try Caller.authenticated().organization(requested: "")
        let size = try PageToken.pageSize(request.pageSize)
        try BatchLimit.check(request.agentIds.count, field: "agent_ids")
        let teamID = try Self.optionalUUID(request.teamID, field: "team_id")
        var availabilities: [String] = []
        for (index, availability) in request.availabilities.enumerated() {
            availabilities.append(try Availability(proto: availability, field: "availabilities[\(index)]").rawValue)
        }
        let after = try PageToken.decode("agents", request.pageToken)
        let page = try await self.repository.agents(
            organizationID: organizationID, teamID: teamID, availabilities: availabilities, ids: request.agentIds,
            after: after, limit: size + 1)
        return .with {
            $0.agents = page.prefix(size).map(\.proto)
            if page.count > size, let last = page.prefix(size).last {
                $0.nextPageToken = PageToken.encode("agents", last.id)
            }
        }
    }

    /// Agents set their own availability; admins anyone's. Going online takes from the queues;
    /// going away or offline applies each team's away policy.
    func setAgentAvailability(request: Inbox_V1_SetAgentAvailabilityRequest, context: ServerContext) async throws
        -> Inbox_V1_Agent
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .agent)
        let organizationID = try caller.organization(requested: "")
        let agentID = request.agentID.isEmpty ? (caller.agentID ?? "") : request.agentID
        guard !agentID.isEmpty else { throw DomainError.invalidArgument("agent_id is required", field: "agent_id") }
        if caller.role == .agent, agentID != caller.agentID {
            throw DomainError.permissionDenied("agents set only their own availability")
        }
        let availability = try Availability(proto: request.availability, field: "availability")
        let (_, teams) = try await self.repository.setAvailability(
            agentID, availability, organizationID: organizationID, now: self.now())
        try await self.drain(teams, organizationID)
        return try await self.agent(agentID, organizationID).proto
    }

    // MARK: Manual assignment

    func assignConversation(request: Inbox_V1_AssignConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .agent)
        let organizationID = try caller.organization(requested: "")
        let conversationID = try Self.conversationID(request.conversationID, field: "conversation_id")
        guard request.note.count <= 1000 else {
            throw DomainError.invalidArgument("note is at most 1000 characters", field: "note")
        }
        _ = try IdempotencyKey.optional(request.idempotencyKey)
        try await self.requireActiveInbox(organizationID)
        let now = self.now()
        switch request.target {
        case .agentID(let agentID):
            guard !agentID.isEmpty else { throw DomainError.invalidArgument("agent_id is empty", field: "agent_id") }
            let (assignment, freed) = try await self.repository.assign(
                conversationID, toAgent: agentID, organizationID: organizationID, actor: caller.agentID,
                note: request.note, now: now)
            try await self.drain(freed, organizationID)
            return assignment.proto
        case .teamID(let text):
            guard let teamID = UUID(uuidString: text) else {
                throw DomainError.invalidArgument("team_id is not a team id", field: "team_id")
            }
            guard try await self.repository.team(teamID, organizationID: organizationID) != nil else {
                throw DomainError.notFound("team \(text) not found", resource: "team")
            }
            let (_, freed) = try await self.repository.assign(
                conversationID, toTeam: teamID, organizationID: organizationID, actor: caller.agentID,
                note: request.note, now: now)
            try await self.drain([teamID] + freed, organizationID)
            return try await self.assignment(conversationID, organizationID).proto
        case nil:
            throw DomainError.invalidArgument("agent_id or team_id is required", field: "target")
        }
    }

    func unassignConversation(request: Inbox_V1_UnassignConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .agent)
        let organizationID = try caller.organization(requested: "")
        let conversationID = try Self.conversationID(request.conversationID, field: "conversation_id")
        guard request.note.count <= 1000 else {
            throw DomainError.invalidArgument("note is at most 1000 characters", field: "note")
        }
        let (assignment, freed) = try await self.repository.unassign(
            conversationID, organizationID: organizationID, actor: caller.agentID, note: request.note, now: self.now())
        try await self.drain(freed, organizationID)
        return (assignment ?? .none(conversationID, organizationID: organizationID)).proto
    }

    // MARK: Automatic routing

    func routeConversation(request: Inbox_V1_RouteConversationRequest, context: ServerContext) async throws
        -> Inbox_V1_RouteConversationResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.service, .operator, .admin)
        try BatchLimit.check(request.conversations.count, field: "conversations")
        var items: [ConversationToRoute] = []
        for (index, item) in request.conversations.enumerated() {
            let path = "conversations[\(index)]"
            let organizationID = try caller.organization(requested: item.organizationID)
            let conversationID = try Self.conversationID(item.conversationID, field: "\(path).conversation_id")
            guard (1...200).contains(item.routeKey.utf8.count) else {
                throw DomainError.invalidArgument(
                    "\(path).route_key is required (at most 200 bytes)", field: "\(path).route_key")
            }
            items.append(
                ConversationToRoute(
                    organizationID: organizationID, conversationID: conversationID, channelID: item.channelID,
                    platform: ProtoNames.platform(item.platform), kind: ProtoNames.kind(item.kind),
                    contactID: item.contactID, text: item.text, reopened: item.reopened, routeKey: item.routeKey,
                    respondBy: item.respondBy.dateIfSet))
        }
        let organizations = Array(Set(items.map(\.organizationID))).sorted()
        var refusals: [String: (error: DomainError, retryable: Bool)] = [:]
        for organizationID in organizations {
            do {
                try await self.requireActiveInbox(organizationID)
            } catch let error as DomainError {
                refusals[organizationID] = (error: error, retryable: true)
            } catch {
                refusals[organizationID] = (
                    error: .unavailable("policy-service could not say whether the inbox is active"), retryable: true
                )
            }
        }
        let rules = try await self.repository.enabledRules(organizationIDs: organizations)
        var results = items.map { item in
            Inbox_V1_RouteResult.with {
                $0.conversationID = item.conversationID
                $0.routeKey = item.routeKey
            }
        }
        var routable: [Int] = []
        for (index, item) in items.enumerated() {
            guard let refusal = refusals[item.organizationID] else {
                routable.append(index)
                continue
            }
            results[index].outcome = .failed
            results[index].error = refusal.error.itemStatus
            results[index].retryable = refusal.retryable
        }
        // One transaction for the whole batch (AssignmentRepository.route).
        let now = self.now()
        let decisions = try await self.repository.route(
            routable.map { items[$0] }, rules: rules, escalation: self.escalation, now: now)
        // An agent who came online or freed capacity while the batch ran was not offered its items:
        // serve those teams' queues now that the batch has committed.
        var queuedTeams: Set<AgentPool.TeamKey> = []
        for decision in decisions {
            if case .queued(let assignment) = decision, let teamID = assignment.teamID {
                queuedTeams.insert(AgentPool.TeamKey(organizationID: assignment.organizationID, teamID: teamID))
            }
        }
        for team in try await self.repository.teamsThatCanTakeWork(Array(queuedTeams)) {
            try await self.drain([team.teamID], team.organizationID)
        }
        for (index, decision) in zip(routable, decisions) {
            switch decision {
            case .assigned(let assignment):
                results[index].outcome = .assigned
                results[index].assignment = self.escalation.onRead(assignment, at: now).proto
            case .queued(let assignment):
                results[index].outcome = .queued
                results[index].assignment = self.escalation.onRead(assignment, at: now).proto
            case .unchanged(let assignment):
                results[index].outcome = .unchanged
                results[index].assignment = self.escalation.onRead(assignment, at: now).proto
            case .noRule:
                // Retrying the same key helps only after a rule changes.
                results[index].outcome = .failed
                results[index].error =
                    DomainError.notFound(
                        "no enabled routing rule matches conversation \(items[index].conversationID)",
                        resource: "routing_rule"
                    ).itemStatus
                results[index].retryable = false
            }
        }
        return .with { $0.results = results }
    }

    /// Ends the assignments of resolved conversations (conversation-service): capacity back at
    /// once, the change recorded, then the freed agents' teams' queues served. A conversation
    /// this service does not know is UNCHANGED, not an error (it was never routed: no rule
    /// matched, or it was never assigned), so the caller needs no special case.
    func releaseConversations(request: Inbox_V1_ReleaseConversationsRequest, context: ServerContext) async throws
        -> Inbox_V1_ReleaseConversationsResponse
    {
        let caller = try Caller.authenticated()
        try caller.require(.service, .operator, .admin)
        try BatchLimit.check(request.conversations.count, field: "conversations")
        var keys: [AssignmentRepository.ConversationKey] = []
        for (index, item) in request.conversations.enumerated() {
            let path = "conversations[\(index)]"
            let organizationID = try caller.organization(requested: item.organizationID)
            let conversationID = try Self.conversationID(item.conversationID, field: "\(path).conversation_id")
            guard item.reason == .resolved else {
                throw DomainError.invalidArgument("\(path).reason must be RESOLVED", field: "\(path).reason")
            }
            keys.append(.init(organizationID: organizationID, conversationID: conversationID))
        }
        let now = self.now()
        let (decisions, freed) = try await self.repository.release(keys, note: "resolved", now: now)
        for (organizationID, teams) in Dictionary(grouping: freed, by: \.organizationID).sorted(by: { $0.key < $1.key })
        {
            try await self.drain(teams.map(\.teamID), organizationID)
        }
        return .with {
            $0.results = zip(keys, decisions).map { key, decision in
                Inbox_V1_ReleaseResult.with {
                    $0.conversationID = key.conversationID
                    switch decision {
                    case .released(let assignment):
                        $0.outcome = .released
                        $0.assignment = assignment.proto
                    case .unchanged(let assignment):
                        $0.outcome = .unchanged
                        $0.assignment = self.escalation.onRead(assignment, at: now).proto
                    }
                }
            }
        }
    }

    // MARK: Reads

    func getAssignment(request: Inbox_V1_GetAssignmentRequest, context: ServerContext) async throws
        -> Inbox_V1_Assignment
    {
        let organizationID = try Caller.authenticated().organization(requested: "")
        let conversationID = try Self.conversationID(request.conversationID, field: "conversation_id")
        let assignment = try await self.assignment(conversationID, organizationID)
        return self.escalation.onRead(assignment, at: self.now()).proto
    }

    func listAssignmentHistory(request: Inbox_V1_ListAssignmentHistoryRequest, context: ServerContext) async throws
        -> Inbox_V1_ListAssignmentHistoryResponse
    {
        let organizationID = try Caller.authenticated().organization(requested: "")
        guard !request.conversationID.isEmpty || !request.agentID.isEmpty else {
            throw DomainError.invalidArgument("conversation_id or agent_id is required", field: "conversation_id")
        }
        let size = try PageToken.pageSize(request.pageSize)
        let before = try PageToken.decode("history", request.pageToken).map { text throws(DomainError) in
            guard let id = Int(text) else { throw PageToken.invalid }
            return id
        }
        let page = try await self.repository.history(
            organizationID: organizationID,
            conversationID: request.conversationID.isEmpty ? nil : request.conversationID,
            agentID: request.agentID.isEmpty ? nil : request.agentID, before: before, limit: size + 1)
        return .with {
            $0.entries = page.prefix(size).map(\.proto)
            if page.count > size, let last = page.prefix(size).last {
                $0.nextPageToken = PageToken.encode("history", "\(last.id)")
            }
        }
    }

    func getWorkload(request: Inbox_V1_GetWorkloadRequest, context: ServerContext) async throws -> Inbox_V1_Workload {
        let organizationID = try Caller.authenticated().organization(requested: "")
        let teamID = try Self.optionalUUID(request.teamID, field: "team_id")
        return try await self.repository.workload(
            organizationID: organizationID, teamID: teamID, agentID: request.agentID.isEmpty ? nil : request.agentID
        ).proto
    }

    // MARK: Routing rules

    func createRoutingRule(request: Inbox_V1_CreateRoutingRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_RoutingRule
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin)
        let organizationID = try caller.organization(requested: request.rule.organizationID)
        let proto = request.rule
        let name = proto.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(name.count) else {
            throw DomainError.invalidArgument("rule.name must be 1 to 200 characters", field: "rule.name")
        }
        let condition = try Self.condition(proto.condition, field: "rule.condition")
        let teamID = try await self.ruleTeam(proto.teamID, organizationID)
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        let rule = RoutingRule(
            id: UUID(), organizationID: organizationID, name: name, priority: Int(proto.priority),
            condition: condition, teamID: teamID, enabled: true, createdAt: self.now())
        return try await self.repository.createRule(
            rule, idempotencyKey: try IdempotencyKey.optional(request.idempotencyKey),
            fingerprint: try IdempotencyKey.fingerprint(unkeyed)
        ).proto
    }

    func listRoutingRules(request: Inbox_V1_ListRoutingRulesRequest, context: ServerContext) async throws
        -> Inbox_V1_ListRoutingRulesResponse
    {
        let organizationID = try Caller.authenticated().organization(requested: "")
        let size = try PageToken.pageSize(request.pageSize)
        let cursor = try PageToken.decode("rules", request.pageToken).map { text throws(DomainError) in
            let parts = text.split(separator: "/")
            guard parts.count == 2, let priority = Int(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
                throw PageToken.invalid
            }
            return (priority: priority, id: id)
        }
        let page = try await self.repository.rules(organizationID: organizationID, after: cursor, limit: size + 1)
        return .with {
            $0.rules = page.prefix(size).map(\.proto)
            if page.count > size, let last = page.prefix(size).last {
                $0.nextPageToken = PageToken.encode("rules", "\(last.priority)/\(last.id.text)")
            }
        }
    }

    func updateRoutingRule(request: Inbox_V1_UpdateRoutingRuleRequest, context: ServerContext) async throws
        -> Inbox_V1_RoutingRule
    {
        let caller = try Caller.authenticated()
        try caller.require(.admin)
        let organizationID = try caller.organization(requested: request.rule.organizationID)
        guard let id = UUID(uuidString: request.rule.id) else {
            throw DomainError.invalidArgument("rule.id is not a rule id", field: "rule.id")
        }
        guard var rule = try await self.repository.rule(id, organizationID: organizationID) else {
            throw DomainError.notFound("routing rule \(request.rule.id) not found", resource: "routing_rule")
        }
        guard !request.updateMask.paths.isEmpty else {
            throw DomainError.invalidArgument("update_mask must name the fields to change", field: "update_mask")
        }
        let update = request.rule
        for path in request.updateMask.paths {
            switch path {
            case "name":
                let name = update.name.trimmingCharacters(in: .whitespacesAndNewlines)
                guard (1...200).contains(name.count) else {
                    throw DomainError.invalidArgument("rule.name must be 1 to 200 characters", field: "rule.name")
                }
                rule.name = name
            case "priority": rule.priority = Int(update.priority)
            case "condition": rule.condition = try Self.condition(update.condition, field: "rule.condition")
            case "team_id": rule.teamID = try await self.ruleTeam(update.teamID, organizationID)
            case "enabled": rule.enabled = update.enabled
            default:
                throw DomainError.invalidArgument("update_mask names an unknown field '\(path)'", field: "update_mask")
            }
        }
        guard let updated = try await self.repository.update(rule) else {
            throw DomainError.notFound("routing rule \(request.rule.id) not found", resource: "routing_rule")
        }
        return updated.proto
    }

    // MARK: Helpers

    func agent(_ id: String, _ organizationID: String) async throws -> Agent {
        guard !id.isEmpty, let agent = try await self.repository.agent(id, organizationID: organizationID) else {
            throw DomainError.notFound("agent \(id) not found", resource: "agent")
        }
        return agent
    }

    func assignment(_ conversationID: String, _ organizationID: String) async throws -> Assignment {
        guard let assignment = try await self.repository.assignment(conversationID, organizationID: organizationID)
        else {
            throw DomainError.notFound("conversation \(conversationID) has no assignment", resource: "assignment")
        }
        return assignment
    }

    /// Serves these teams' queues (after the change that freed capacity has committed).
    func drain(_ teams: [UUID], _ organizationID: String) async throws {
        let now = self.now()
        for teamID in Set(teams).sorted(by: { $0.uuidString < $1.uuidString }) {
            try await self.repository.drain(
                teamID, organizationID: organizationID, escalation: self.escalation, now: now)
        }
    }

    func requireActiveInbox(_ organizationID: String) async throws {
        guard try await self.inbox.isActive(organizationID: organizationID) else {
            throw DomainError.failedPrecondition(
                "the inbox is deactivated after inactivity; activate it to assign conversations",
                reason: .inboxDeactivated)
        }
    }

    func ruleTeam(_ text: String, _ organizationID: String) async throws -> UUID {
        guard let teamID = UUID(uuidString: text),
            try await self.repository.team(teamID, organizationID: organizationID) != nil
        else {
            throw DomainError.invalidArgument("rule.team_id names no team of this organisation", field: "rule.team_id")
        }
        return teamID
    }

    static func condition(_ proto: Inbox_V1_RoutingCondition, field: String) throws(DomainError) -> RoutingCondition {
        var condition = RoutingCondition()
        for (index, platform) in proto.platforms.enumerated() {
            condition.platforms.append(
                try ProtoNames.requiredPlatform(platform, field: "\(field).platforms[\(index)]"))
        }
        for (index, kind) in proto.kinds.enumerated() {
            condition.kinds.append(try ProtoNames.requiredKind(kind, field: "\(field).kinds[\(index)]"))
        }
        condition.keywords = proto.keywords.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        condition.contactIDs = proto.contactIds.filter { !$0.isEmpty }
        condition.channelIDs = proto.channelIds.filter { !$0.isEmpty }
        guard !condition.isEmpty else {
            throw .invalidArgument(
                "\(field) must name at least one platform, kind, keyword, contact or channel", field: field)
        }
        guard condition.keywords.count <= 50, condition.keywords.allSatisfy({ $0.count <= 100 }) else {
            throw .invalidArgument("\(field).keywords: at most 50 of 100 characters", field: "\(field).keywords")
        }
        return condition
    }

    static func conversationID(_ id: String, field: String) throws(DomainError) -> String {
        guard (1...200).contains(id.utf8.count) else {
            throw .invalidArgument("\(field) is required (at most 200 bytes)", field: field)
        }
        return id
    }

    static func optionalUUID(_ text: String, field: String) throws(DomainError) -> UUID? {
        guard !text.isEmpty else { return nil }
        guard let id = UUID(uuidString: text) else { throw .invalidArgument("\(field) is not an id", field: field) }
        return id
    }

}

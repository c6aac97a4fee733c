#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Why an automatic decision went the way it did; stored with the assignment and its history.
struct RoutingExplanation: Sendable, Equatable, Codable {
    var ruleID: UUID?
    var ruleName: String
    var teamID: UUID?
    var candidates: [RoutingCandidate]
    var summary: String
}

/// One agent as a decision saw them.
struct RoutingCandidate: Sendable, Equatable, Codable {
    var agentID: String
    var availability: Availability
    var openConversations: Int
    var load: Int
    var capacity: Int
    /// What this conversation would add to `load`.
    var weight: Int
    var eligible: Bool
    var note: String
}

/// An agent of the chosen team as routing reads them (their row locked).
struct RoutingAgent: Sendable, Equatable {
    var id: String
    var availability: Availability
    var capacity: Int
    var weights: [ConversationWeight]
    var openConversations: Int
    var load: Int
    /// Round-robin order: the lowest turn is served next.
    var lastTurn: Int
}

/// Pure routing decisions: no I/O, so the rules are tested and explained in one place.
enum Routing {
    /// The first enabled rule, in priority order, whose condition matches.
    static func rule(for conversation: ConversationToRoute, among rules: [RoutingRule]) -> RoutingRule? {
        rules.filter(\.enabled)
            .sorted { ($0.priority, $0.createdAt, $0.id.uuidString) < ($1.priority, $1.createdAt, $1.id.uuidString) }
            .first { $0.condition.matches(conversation) }
    }

    /// Round-robin among online agents with room for the conversation's weight: the one whose
    /// turn came longest ago; equal turns go to the least loaded, then by id. Every agent is in
    /// the explanation with the reason they were passed over.
    static func choose(platform: String, kind: String, among agents: [RoutingAgent])
        -> (chosen: RoutingAgent?, candidates: [RoutingCandidate])
    {
        var candidates: [RoutingCandidate] = []
        var eligible: [RoutingAgent] = []
        for agent in agents {
            let weight = Agent.weight(agent.weights, platform: platform, kind: kind)
            var candidate = RoutingCandidate(
                agentID: agent.id, availability: agent.availability, openConversations: agent.openConversations,
                load: agent.load, capacity: agent.capacity, weight: weight, eligible: false, note: "")
            if agent.availability != .online {
                candidate.note = "not online (\(agent.availability.rawValue))"
            } else if agent.load + weight > agent.capacity {
                candidate.note = "no free capacity (load \(agent.load) + \(weight) > capacity \(agent.capacity))"
            } else {
                candidate.eligible = true
                eligible.append(agent)
            }
            candidates.append(candidate)
        }
        let chosen = eligible.min { ($0.lastTurn, $0.load, $0.id) < ($1.lastTurn, $1.load, $1.id) }
        for index in candidates.indices where candidates[index].eligible {
            candidates[index].note =
                candidates[index].agentID == chosen?.id
                ? "chosen: next in turn with free capacity" : "eligible, but not next in turn"
        }
        return (chosen, candidates)
    }
}

/// The locked agents of the teams one transaction routes into, as its decisions change them: an
/// agent of several teams is one entry, so what one team's decision takes is gone for the others.
/// Each assignment gives its agent the next turn of this pool (above every turn it was given), so
/// round-robin holds within a batch; `changes` hands the turns back in the order they were taken,
/// for the writer to replace with values of the database's sequence (fair across replicas).
struct AgentPool: Sendable {
    struct AgentKey: Hashable, Sendable {
        var organizationID: String
        var id: String
    }

    struct TeamKey: Hashable, Sendable {
        var organizationID: String
        var teamID: UUID
    }

    /// What the pool's decisions did to one agent.
    struct Change: Sendable, Equatable {
        var organizationID: String
        var agentID: String
        var load: Int
        var conversations: Int
        /// The pool's turn of the agent's latest assignment (nil: none was given).
        var turn: Int?
    }

    private var agents: [AgentKey: RoutingAgent] = [:]
    /// Each team's members in the order the lock returned them (agent id: the explanation's order).
    private var members: [TeamKey: [AgentKey]] = [:]
    private var changed: [AgentKey: Change] = [:]
    private var nextTurn: Int

    /// `rows` as the agents' lock returns them: one per team membership, in agent id order.
    init(_ rows: [(organizationID: String, teamID: UUID, agent: RoutingAgent)]) {
        self.nextTurn = (rows.map { $0.agent.lastTurn }.max() ?? 0) + 1
        for row in rows {
            let key = AgentKey(organizationID: row.organizationID, id: row.agent.id)
            if self.agents[key] == nil { self.agents[key] = row.agent }
            self.members[TeamKey(organizationID: row.organizationID, teamID: row.teamID), default: []].append(key)
        }
    }

    /// The team's agents as they are now.
    func team(_ team: TeamKey) -> [RoutingAgent] {
        (self.members[team] ?? []).compactMap { self.agents[$0] }
    }

    /// How many more conversations the team's online agents could take at most (each takes at
    /// least 1 of a capacity).
    func freeSlots(_ team: TeamKey) -> Int {
        self.team(team).filter { $0.availability == .online }.reduce(0) { $0 + max(0, $1.capacity - $1.load) }
    }

    /// Routing.choose among the team's agents; the chosen agent takes the conversation's weight
    /// and the next turn. `chosen` is the agent as they were before (what the explanation states).
    mutating func take(_ team: TeamKey, platform: String, kind: String)
        -> (chosen: RoutingAgent?, weight: Int, candidates: [RoutingCandidate])
    {
        let (chosen, candidates) = Routing.choose(platform: platform, kind: kind, among: self.team(team))
        guard let chosen else { return (nil, 0, candidates) }
        let weight = Agent.weight(chosen.weights, platform: platform, kind: kind)
        let key = AgentKey(organizationID: team.organizationID, id: chosen.id)
        self.agents[key]?.load += weight
        self.agents[key]?.openConversations += 1
        self.agents[key]?.lastTurn = self.nextTurn
        var change =
            self.changed[key]
            ?? Change(organizationID: team.organizationID, agentID: chosen.id, load: 0, conversations: 0, turn: nil)
        change.load += weight
        change.conversations += 1
        change.turn = self.nextTurn
        self.changed[key] = change
        self.nextTurn += 1
        return (chosen, weight, candidates)
    }

    /// Every agent that took something, in the order of their latest turn.
    var changes: [Change] {
        self.changed.values.sorted { ($0.turn ?? 0) < ($1.turn ?? 0) }
    }
}

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

import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import TestSupport
import Testing

@testable import AssignmentService

/// Automatic routing through the RPCs against PostgreSQL: fairness, capacity under concurrency,
/// idempotency, explanations, urgency-ordered queues and the away policy.
@Suite("assignment-service: routing, queues and away policy")
struct RoutingTests {
    @Test func roundRobinSharesEvenlyAndExplainsEveryDecision() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            for id in ["ana", "ben", "cai"] { try await harness.agent(id, teams: [team], capacity: 20) }
            try await harness.agent("dee", teams: [team], capacity: 20, online: false)
            let results = try await harness.route((1...30).map { AssignmentHarness.conversation("c\($0)") })
            #expect(results.allSatisfy { $0.outcome == .assigned })
            let counts = Dictionary(grouping: results, by: \.assignment.agentID).mapValues(\.count)
            #expect(counts == ["ana": 10, "ben": 10, "cai": 10])

            let explanation = try #require(results.first?.assignment.explanation)
            #expect(explanation.ruleName == "Social")
            #expect(explanation.teamID == team.id)
            #expect(explanation.candidates.map(\.agentID) == ["ana", "ben", "cai", "dee"])
            let dee = try #require(explanation.candidates.first { $0.agentID == "dee" })
            #expect(!dee.eligible)
            #expect(dee.availability == .offline)
            #expect(dee.note.contains("not online"))
            #expect(explanation.candidates.filter(\.eligible).count == 3)

            let history = try await harness.client.listAssignmentHistory(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(history.entries.map(\.change) == [.assigned])
            #expect(history.entries.first?.source == .automatic)
            #expect(history.entries.first?.explanation.ruleName == "Social")
        }
    }

    @Test func aRetriedRouteKeyAssignsOnce() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team])
            try await harness.agent("ben", teams: [team])
            let item = AssignmentHarness.conversation("c1", key: "follow-up-7")
            let first = try await harness.route([item, item])
            #expect(first.map(\.outcome) == [.assigned, .unchanged])
            let again = try await harness.route([item])
            #expect(again.first?.outcome == .unchanged)
            #expect(again.first?.assignment.agentID == first.first?.assignment.agentID)
            #expect(again.first?.assignment.version == first.first?.assignment.version)
            #expect(try await harness.assignedByAgent().values.flatMap { $0 } == ["c1"])
            let workload = try await harness.client.getWorkload(.init(), metadata: AssignmentHarness.admin())
            #expect(workload.agents.map(\.openConversations).reduce(0, +) == 1)
        }
    }

    @Test func twoReplicasRoutingAtOnceNeverExceedCapacityNorAssignTwice() async throws {
        try await AssignmentHarness.withTwoReplicas { harness, second in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            for id in ["ana", "ben", "cai"] { try await harness.agent(id, teams: [team], capacity: 5) }
            let service = try await AssignmentHarness.service()
            // 40 conversations, each routed twice (under two keys, by both replicas): 15 fit.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<40 {
                    for (replica, client) in [harness.client, second].enumerated() {
                        group.addTask {
                            _ = try await client.routeConversation(
                                .with {
                                    $0.conversations = [
                                        AssignmentHarness.conversation("c\(index)", key: "k\(index)-\(replica)")
                                    ]
                                }, metadata: service)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let assigned = try await harness.assignedByAgent()
            #expect(assigned.values.map(\.count).sorted() == [5, 5, 5])
            let all = assigned.values.flatMap { $0 }
            #expect(Set(all).count == all.count)
            let rows = try await harness.database.query(
                """
                SELECT a.id, a.load, a.capacity, a.open_conversations,
                    (SELECT count(*) FROM assignments s WHERE s.agent_id = a.id AND s.state = 'assigned')
                FROM agents a
                """)
            for try await (_, load, capacity, open, counted) in rows.decode((String, Int, Int, Int, Int).self) {
                #expect(load <= capacity)
                #expect(open == counted)
            }
            let queued = try await harness.database.query(
                "SELECT count(*) FROM assignments WHERE state = 'queued'")
            for try await count in queued.decode(Int.self) { #expect(count == 25) }
            let histories = try await harness.database.query(
                "SELECT count(*) FROM assignment_history GROUP BY conversation_id HAVING count(*) > 1")
            var duplicated = 0
            for try await _ in histories.decode(Int.self) { duplicated += 1 }
            #expect(duplicated == 0)
        }
    }

    @Test func theQueueDrainsInUrgencyOrderWhenAnAgentComesOnline() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team], capacity: 2, online: false)
            let now = Date()
            let results = try await harness.route([
                AssignmentHarness.conversation("late", respondBy: now.addingTimeInterval(7200)),
                AssignmentHarness.conversation("none"),
                AssignmentHarness.conversation("soon", respondBy: now.addingTimeInterval(600)),
            ])
            #expect(results.allSatisfy { $0.outcome == .queued && $0.assignment.teamID == team.id })
            #expect(results.first?.assignment.explanation.summary.contains("queue") == true)

            try await harness.availability("ana", .online)
            #expect(try await harness.assignment("soon").agentID == "ana")
            #expect(try await harness.assignment("late").agentID == "ana")
            #expect(try await harness.assignment("none").state == .queued)

            // Capacity frees: the next in the queue is taken at once.
            _ = try await harness.client.unassignConversation(
                .with { $0.conversationID = "soon" }, metadata: AssignmentHarness.admin())
            #expect(try await harness.assignment("none").agentID == "ana")
            let workload = try await harness.client.getWorkload(
                .with { $0.teamID = team.id }, metadata: AssignmentHarness.admin())
            #expect(workload.teams.first?.queuedConversations == 0)
            #expect(workload.agents.first?.openConversations == 2)
        }
    }

    @Test func awayReturnsConversationsToTheQueue() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support", away: .returnToQueue)
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team], capacity: 5)
            _ = try await harness.route([AssignmentHarness.conversation("c1"), AssignmentHarness.conversation("c2")])
            try await harness.agent("ben", teams: [team], capacity: 5, online: false)

            let ana = try await harness.availability("ana", .away)
            #expect(ana.openConversations == 0)
            #expect(try await harness.assignment("c1").state == .queued)
            #expect(try await harness.assignment("c2").state == .queued)
            let history = try await harness.client.listAssignmentHistory(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(history.entries.map(\.change) == [.queued, .assigned])
            #expect(history.entries.first?.fromAgentID == "ana")

            // Ben comes online and takes the queue.
            try await harness.availability("ben", .online)
            #expect(try await harness.assignment("c1").agentID == "ben")
            #expect(try await harness.assignment("c2").agentID == "ben")
        }
    }

    @Test func awayReassignsToColleaguesWithRoomAndQueuesTheRest() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support", away: .reassignToColleagues)
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team], capacity: 5)
            _ = try await harness.route((1...3).map { AssignmentHarness.conversation("c\($0)") })
            try await harness.agent("ben", teams: [team], capacity: 2)

            try await harness.availability("ana", .offline)
            let assigned = try await harness.assignedByAgent()
            #expect(assigned["ben"]?.count == 2)
            #expect(assigned["ana"] == nil)
            let workload = try await harness.client.getWorkload(.init(), metadata: AssignmentHarness.admin())
            #expect(workload.teams.first?.queuedConversations == 1)
            let moved = try #require(assigned["ben"]?.first)
            let history = try await harness.client.listAssignmentHistory(
                .with { $0.conversationID = moved }, metadata: AssignmentHarness.admin())
            #expect(history.entries.first?.change == .reassigned)
            #expect(history.entries.first?.fromAgentID == "ana")
            #expect(history.entries.first?.toAgentID == "ben")
        }
    }

    @Test func weightsCountAgainstCapacity() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent(
                "ana", teams: [team], capacity: 5,
                weights: [
                    .with {
                        $0.kind = .directMessage
                        $0.weight = 2
                    }
                ])
            let results = try await harness.route((1...3).map { AssignmentHarness.conversation("c\($0)") })
            #expect(results.map(\.outcome) == [.assigned, .assigned, .queued])
            let ana = try await harness.client.getAgent(
                .with { $0.agentID = "ana" }, metadata: AssignmentHarness.admin())
            #expect(ana.load == 4)
            #expect(ana.openConversations == 2)
            let candidate = try #require(results.last?.assignment.explanation.candidates.first)
            #expect(!candidate.eligible)
            #expect(candidate.note.contains("capacity"))
        }
    }
}

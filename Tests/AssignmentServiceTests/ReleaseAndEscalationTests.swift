import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import TestSupport
import Testing

@testable import AssignmentService

/// Escalation near a window's end and ReleaseConversations, through the RPCs against PostgreSQL
/// (the service's default escalation window: 2 hours).
@Suite("assignment-service: escalation and release")
struct ReleaseAndEscalationTests {
    static func release(_ ids: [String], reason: Inbox_V1_ReleaseReason = .resolved)
        -> Inbox_V1_ReleaseConversationsRequest
    {
        .with {
            $0.conversations = ids.map { id in
                .with {
                    $0.organizationID = AssignmentHarness.organization
                    $0.conversationID = id
                    $0.reason = reason
                }
            }
        }
    }

    @Test func anEscalatedConversationIsRoutedAheadOfItsBatchAndFlagged() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team], capacity: 1)
            let now = Date()
            let results = try await harness.route([
                AssignmentHarness.conversation("relaxed", respondBy: now.addingTimeInterval(5 * 3600)),
                AssignmentHarness.conversation("none"),
                AssignmentHarness.conversation("urgent", respondBy: now.addingTimeInterval(37 * 60 + 30)),
            ])
            // ana has room for one: the escalated conversation, although it came last.
            #expect(results.map(\.outcome) == [.queued, .queued, .assigned])
            let urgent = try #require(results.last?.assignment)
            #expect(urgent.agentID == "ana")
            #expect(urgent.escalated)
            #expect(urgent.hasEscalatedAt)
            #expect(urgent.explanation.summary.contains("within the 2 h escalation window"))
            #expect(!results[0].assignment.escalated)
            #expect(!results[1].assignment.escalated)
            #expect(!results[1].assignment.hasRespondBy)

            let read = try await harness.assignment("urgent")
            #expect(read.escalated)
            #expect(read.hasRespondBy)
            #expect(read.explanation.summary.contains("escalated"))
            let relaxed = try await harness.assignment("relaxed")
            #expect(!relaxed.escalated)
            #expect(relaxed.state == .queued)
            let none = try await harness.assignment("none")
            #expect(!none.escalated)
        }
    }

    @Test func escalatedConversationsLeadTheQueueAndAWaitingOneIsEscalatedWhenItsWindowComesClose() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team], capacity: 1, online: false)
            let now = Date()
            let results = try await harness.route([
                AssignmentHarness.conversation("later", respondBy: now.addingTimeInterval(5 * 3600)),
                AssignmentHarness.conversation("nothing"),
                AssignmentHarness.conversation("soon", respondBy: now.addingTimeInterval(90 * 60)),
                AssignmentHarness.conversation("drifting", respondBy: now.addingTimeInterval(6 * 3600)),
            ])
            #expect(results.allSatisfy { $0.outcome == .queued })
            #expect(results.map(\.assignment.escalated) == [false, false, true, false])
            #expect(results[2].assignment.explanation.summary.contains("first in the team's queue"))

            // Time passes for "drifting" alone: its respond_by is now 30 minutes away. Nothing
            // rewrites the row; a read computes the flag.
            try await harness.database.query(
                """
                UPDATE assignments SET respond_by = now() + interval '30 minutes'
                WHERE conversation_id = 'drifting'
                """)
            let drifting = try await harness.assignment("drifting")
            #expect(drifting.state == .queued)
            #expect(drifting.escalated)
            #expect(drifting.hasEscalatedAt)
            let later = try await harness.assignment("later")
            #expect(!later.escalated)

            // One free place: the escalated conversation nearest its end is served first, then
            // the next once ana has room again.
            try await harness.availability("ana", .online)
            let first = try await harness.assignment("drifting")
            #expect(first.agentID == "ana")
            #expect(first.escalated)
            #expect(first.explanation.summary.contains("Escalated"))
            let soon = try await harness.assignment("soon")
            #expect(soon.state == .queued)
            let released = try await harness.client.releaseConversations(
                Self.release(["drifting"]), metadata: AssignmentHarness.service())
            #expect(released.results.map(\.outcome) == [.released])
            let next = try await harness.assignment("soon")
            #expect(next.agentID == "ana")
            let nothing = try await harness.assignment("nothing")
            #expect(nothing.state == .queued)
            #expect(!nothing.escalated)
        }
    }

    @Test func releasingAResolvedConversationFreesCapacityAndTheQueueDrainsOntoIt() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team], capacity: 1)
            let routed = try await harness.route([
                AssignmentHarness.conversation("c1"), AssignmentHarness.conversation("c2"),
            ])
            #expect(routed.map(\.outcome) == [.assigned, .queued])

            let service = try await AssignmentHarness.service()
            let released = try await harness.client.releaseConversations(Self.release(["c1"]), metadata: service)
            #expect(released.results.map(\.outcome) == [.released])
            let c1 = try #require(released.results.first?.assignment)
            #expect(c1.state == .released)
            #expect(c1.agentID.isEmpty)
            #expect(c1.version == routed[0].assignment.version + 1)

            // ana's place went to the queue at once.
            let c2 = try await harness.assignment("c2")
            #expect(c2.agentID == "ana")
            let ana = try await harness.client.getAgent(
                .with { $0.agentID = "ana" }, metadata: AssignmentHarness.admin())
            #expect(ana.openConversations == 1)
            #expect(ana.load == 1)
            let history = try await harness.client.listAssignmentHistory(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(history.entries.map(\.change) == [.released, .assigned])
            #expect(history.entries.first?.fromAgentID == "ana")
            #expect(history.entries.first?.note == "resolved")

            // Again, and a conversation never seen: nothing changes, no error.
            let again = try await harness.client.releaseConversations(
                Self.release(["c1", "never-routed"]), metadata: service)
            #expect(again.results.map(\.outcome) == [.unchanged, .unchanged])
            #expect(again.results.first?.assignment.version == c1.version)
            #expect(again.results.last?.assignment.version == 0)
            let after = try await harness.client.getAgent(
                .with { $0.agentID = "ana" }, metadata: AssignmentHarness.admin())
            #expect(after.openConversations == 1)
            let historyAfter = try await harness.client.listAssignmentHistory(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(historyAfter.entries.count == 2)

            // Reopened (a new route key): routed again; ana is full, so it waits in the queue.
            let reopened = try await harness.route([AssignmentHarness.conversation("c1", key: "route-c1:1")])
            #expect(reopened.first?.outcome == .queued)
            // Resolved while it waits: it leaves the queue.
            let dequeued = try await harness.client.releaseConversations(Self.release(["c1"]), metadata: service)
            #expect(dequeued.results.first?.outcome == .released)
            let workload = try await harness.client.getWorkload(
                .with { $0.teamID = team.id }, metadata: AssignmentHarness.admin())
            #expect(workload.teams.first?.queuedConversations == 0)
        }
    }

    @Test func releaseNeedsAReasonAndAServiceCaller() async throws {
        try await AssignmentHarness.with { harness in
            let noReason = await refusal {
                _ = try await harness.client.releaseConversations(
                    Self.release(["c1"], reason: .unspecified), metadata: AssignmentHarness.service())
            }
            #expect(noReason?.code == .invalidArgument)
            #expect(noReason?.field == "conversations[0].reason")
            let agent = await refusal {
                _ = try await harness.client.releaseConversations(
                    Self.release(["c1"]), metadata: AssignmentHarness.agent("ana"))
            }
            #expect(agent?.code == .permissionDenied)
        }
    }
}

/// The pure parts: the agents a batch allocates against, and the escalation rule.
@Suite("assignment-service: agent pool and escalation rule")
struct AgentPoolAndEscalationTests {
    static func agent(_ id: String, capacity: Int, load: Int = 0, turn: Int = 0) -> RoutingAgent {
        RoutingAgent(
            id: id, availability: .online, capacity: capacity, weights: [], openConversations: load, load: load,
            lastTurn: turn)
    }

    @Test func anAgentOfTwoTeamsIsOneAgent() {
        let sales = AgentPool.TeamKey(organizationID: "org", teamID: UUID())
        let support = AgentPool.TeamKey(organizationID: "org", teamID: UUID())
        var pool = AgentPool([
            ("org", sales.teamID, Self.agent("ana", capacity: 1)),
            ("org", support.teamID, Self.agent("ana", capacity: 1)),
            ("org", support.teamID, Self.agent("ben", capacity: 2, turn: 5)),
        ])
        let first = pool.take(sales, platform: "facebook", kind: "direct_message")
        #expect(first.chosen?.id == "ana")
        // ana is full for support too: ben takes it.
        let second = pool.take(support, platform: "facebook", kind: "direct_message")
        #expect(second.chosen?.id == "ben")
        #expect(second.candidates.first { $0.agentID == "ana" }?.eligible == false)
        let third = pool.take(sales, platform: "facebook", kind: "direct_message")
        #expect(third.chosen == nil)
        #expect(pool.freeSlots(support) == 1)
        // Turns in the order taken, above every turn the pool was given.
        #expect(pool.changes.map(\.agentID) == ["ana", "ben"])
        #expect(pool.changes.map(\.turn) == [6, 7])
        #expect(pool.changes.map(\.load) == [1, 1])
    }

    @Test func escalationNeedsAnEndWithinTheWindow() {
        let now = Date()
        let escalation = Escalation(window: 2 * 3600)
        #expect(!escalation.applies(to: nil, at: now))
        #expect(escalation.applies(to: now.addingTimeInterval(37 * 60), at: now))
        #expect(escalation.applies(to: now.addingTimeInterval(-60), at: now))
        #expect(!escalation.applies(to: now.addingTimeInterval(3 * 3600), at: now))
        #expect(!Escalation(window: 0).applies(to: now, at: now))
        #expect(
            escalation.reason(respondBy: now.addingTimeInterval(37 * 60 + 20), at: now)
                == "respond_by in 37 min, within the 2 h escalation window")

        // A queued conversation read after its end came within the window: escalated since then.
        let respondBy = now.addingTimeInterval(3 * 3600)
        var queued = Assignment.none("c1", organizationID: "org")
        queued.state = .queued
        queued.respondBy = respondBy
        #expect(escalation.onRead(queued, at: now).escalatedAt == nil)
        #expect(escalation.onRead(queued, at: now.addingTimeInterval(3600 + 1)).escalatedAt == respondBy - 2 * 3600)
        var assigned = queued
        assigned.state = .assigned
        #expect(escalation.onRead(assigned, at: now.addingTimeInterval(3600 + 1)).escalatedAt == nil)
    }
}

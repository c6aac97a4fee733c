import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import Logging
import Synchronization
import TestSupport
import Testing

@testable import AssignmentService

/// conversation-service and policy-service as the outbox sees them: down for the first `failures`
/// calls, then recording what arrives.
final class SinkStandIn: ReadModelSink {
    private struct State {
        var failuresLeft: Int
        var assignees: [AssigneeUpdate] = []
        var presence: [PresenceReport] = []
        var calls = 0
    }

    private let state: Mutex<State>

    init(failures: Int) {
        self.state = Mutex(State(failuresLeft: failures))
    }

    var assignees: [AssigneeUpdate] { self.state.withLock { $0.assignees } }
    var presence: [PresenceReport] { self.state.withLock { $0.presence } }
    var calls: Int { self.state.withLock { $0.calls } }

    private func attempt() throws {
        let down = self.state.withLock { state -> Bool in
            state.calls += 1
            guard state.failuresLeft > 0 else { return false }
            state.failuresLeft -= 1
            return true
        }
        if down { throw RPCError(code: .unavailable, message: "conversation-service is down") }
    }

    func setAssignees(_ items: [AssigneeUpdate]) async throws {
        try self.attempt()
        self.state.withLock { $0.assignees += items }
    }

    func recordPresence(_ reports: [PresenceReport]) async throws {
        try self.attempt()
        self.state.withLock { $0.presence += reports }
    }
}

@Suite("assignment-service: the read-model outbox")
struct ReadModelOutboxTests {
    /// Delivers until `done` holds or 15 s pass (retries back off from half a second).
    func deliver(_ outbox: ReadModelOutbox, until done: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !done(), ContinuousClock.now < deadline {
            if await outbox.deliverOnce() == 0 { try await Task.sleep(for: .milliseconds(100)) }
        }
    }

    @Test func setAssigneeArrivesAfterConversationServiceComesBack() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.agent("ana", teams: [team])
            _ = try await harness.client.assignConversation(
                .with {
                    $0.conversationID = "c-1"
                    $0.agentID = "ana"
                }, metadata: AssignmentHarness.admin())
            _ = try await harness.client.assignConversation(
                .with {
                    $0.conversationID = "c-1"
                    $0.teamID = team.id
                }, metadata: AssignmentHarness.admin())

            let sink = SinkStandIn(failures: 2)
            let outbox = ReadModelOutbox(client: harness.database, sink: sink, logger: Logger(label: "outbox"))
            try await self.deliver(outbox) { sink.assignees.contains { $0.conversationID == "c-1" } }
            #expect(sink.calls >= 3)
            // Only the newest version of c-1 is sent: the first assignment was superseded before delivery.
            let delivered = sink.assignees.filter { $0.conversationID == "c-1" }
            #expect(delivered.count == 1)
            let assignment = try await harness.client.getAssignment(
                .with { $0.conversationID = "c-1" }, metadata: AssignmentHarness.admin())
            #expect(delivered.first?.version == Int(assignment.version))
            #expect(delivered.first?.organizationID == AssignmentHarness.organization)
            // Delivered rows are gone: another pass sends nothing.
            #expect(await outbox.deliverOnce() == 0 || sink.presence.isEmpty == false)
            let rows = try await harness.database.query(
                "SELECT count(*)::int8 FROM assignee_outbox", logger: Logger(label: "t"))
            for try await count in rows.decode(Int.self) { #expect(count == 0) }
        }
    }

    @Test func presenceReachesPolicyAfterAvailabilityChanges() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.agent("ana", teams: [team], online: false)
            try await harness.agent("ben", teams: [team], online: false)
            _ = try await harness.client.setAgentAvailability(
                .with {
                    $0.agentID = "ana"
                    $0.availability = .online
                }, metadata: AssignmentHarness.admin())
            let sink = SinkStandIn(failures: 1)
            let outbox = ReadModelOutbox(client: harness.database, sink: sink, logger: Logger(label: "outbox"))
            try await self.deliver(outbox) { !sink.presence.isEmpty }
            #expect(sink.presence.last?.agentsOnline == 1)
            #expect(sink.presence.last?.organizationID == AssignmentHarness.organization)
        }
    }
}

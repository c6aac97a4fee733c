import Foundation
import GRPCCore
import InboxAPI
import InboxKit
import TestSupport
import Testing

@testable import AssignmentService

/// Manual assignment, the deactivated inbox, bad input and isolation between organisations.
@Suite("assignment-service: manual assignment, validation and isolation")
struct ManualAssignmentTests {
    @Test func manualAssignmentIsIdempotentAndRecordedWithWhoAndWhy() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.agent("ana", teams: [team])
            try await harness.agent("ben", teams: [team])
            let assign = Inbox_V1_AssignConversationRequest.with {
                $0.conversationID = "c1"
                $0.agentID = "ana"
                $0.note = "VIP customer"
            }
            let first = try await harness.client.assignConversation(assign, metadata: AssignmentHarness.agent("ben"))
            let again = try await harness.client.assignConversation(assign, metadata: AssignmentHarness.agent("ben"))
            #expect(first.agentID == "ana")
            #expect(first.source == .manual)
            #expect(again.version == first.version)

            let moved = try await harness.client.assignConversation(
                .with {
                    $0.conversationID = "c1"
                    $0.agentID = "ben"
                }, metadata: AssignmentHarness.admin())
            #expect(moved.version == first.version + 1)
            let unassigned = try await harness.client.unassignConversation(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(unassigned.state == .unassigned)
            let twice = try await harness.client.unassignConversation(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(twice.version == unassigned.version)

            let history = try await harness.client.listAssignmentHistory(
                .with { $0.conversationID = "c1" }, metadata: AssignmentHarness.admin())
            #expect(history.entries.map(\.change) == [.unassigned, .reassigned, .assigned])
            let assigned = try #require(history.entries.last)
            #expect(assigned.actorAgentID == "ben")
            #expect(assigned.note == "VIP customer")
            #expect(assigned.toAgentID == "ana")
            #expect(history.entries[1].fromAgentID == "ana")
            let workload = try await harness.client.getWorkload(.init(), metadata: AssignmentHarness.admin())
            #expect(workload.agents.allSatisfy { $0.openConversations == 0 })
        }
    }

    @Test func aDeactivatedInboxRefusesAssignment() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team])
            harness.inbox.deactivate(AssignmentHarness.organization)
            let manual = await refusal {
                _ = try await harness.client.assignConversation(
                    .with {
                        $0.conversationID = "c1"
                        $0.agentID = "ana"
                    }, metadata: AssignmentHarness.admin())
            }
            #expect(manual?.code == .failedPrecondition)
            #expect(manual?.reason == "INBOX_DEACTIVATED")
            let routed = try await harness.route([AssignmentHarness.conversation("c1")])
            #expect(routed.first?.outcome == .failed)
            #expect(routed.first?.retryable == true)
            #expect(routed.first?.error.code == Int32(RPCError.Code.failedPrecondition.rawValue))
            #expect(try await harness.assignedByAgent().isEmpty)

            // Activated again, the same key routes (the refusal recorded nothing).
            harness.inbox.activate(AssignmentHarness.organization)
            let retried = try await harness.route([AssignmentHarness.conversation("c1")])
            #expect(retried.first?.outcome == .assigned)
        }
    }

    @Test func badInputNamesTheField() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            let admin = try await AssignmentHarness.admin()
            let capacity = await refusal {
                _ = try await harness.client.upsertAgent(
                    .with {
                        $0.agent = .with {
                            $0.id = "ana"
                            $0.capacity = 0
                        }
                    }, metadata: admin)
            }
            #expect(capacity?.code == .invalidArgument)
            #expect(capacity?.field == "agent.capacity")

            let unknownTeam = await refusal {
                _ = try await harness.client.upsertAgent(
                    .with {
                        $0.agent = .with {
                            $0.id = "ana"
                            $0.capacity = 3
                            $0.teamIds = [team.id, UUID().uuidString]
                        }
                    }, metadata: admin)
            }
            #expect(unknownTeam?.code == .invalidArgument)
            #expect(unknownTeam?.field == "agent.team_ids[1]")

            let noCondition = await refusal {
                _ = try await harness.client.createRoutingRule(
                    .with {
                        $0.rule = .with {
                            $0.name = "Everything"
                            $0.teamID = team.id
                        }
                    }, metadata: admin)
            }
            #expect(noCondition?.code == .invalidArgument)
            #expect(noCondition?.field == "rule.condition")

            let unknownAgent = await refusal {
                _ = try await harness.client.assignConversation(
                    .with {
                        $0.conversationID = "c1"
                        $0.agentID = "nobody"
                    }, metadata: admin)
            }
            #expect(unknownAgent?.code == .notFound)

            let noKey = await refusal {
                _ = try await harness.client.routeConversation(
                    .with { $0.conversations = [AssignmentHarness.conversation("c1", key: "")] },
                    metadata: AssignmentHarness.service())
            }
            #expect(noKey?.code == .invalidArgument)
            #expect(noKey?.field == "conversations[0].route_key")

            let agentForOther = await refusal {
                _ = try await harness.client.setAgentAvailability(
                    .with {
                        $0.agentID = "ben"
                        $0.availability = .online
                    }, metadata: AssignmentHarness.agent("ana"))
            }
            #expect(agentForOther?.code == .permissionDenied)
        }
    }

    @Test func anotherOrganisationSeesNothingAndCannotUseOurTeams() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.rule("Social", to: team)
            try await harness.agent("ana", teams: [team])
            _ = try await harness.route([AssignmentHarness.conversation("c1")])
            let other = try await AssignmentHarness.admin("org-other")

            let agent = await refusal {
                _ = try await harness.client.getAgent(.with { $0.agentID = "ana" }, metadata: other)
            }
            #expect(agent?.code == .notFound)
            let assignment = await refusal {
                _ = try await harness.client.getAssignment(.with { $0.conversationID = "c1" }, metadata: other)
            }
            #expect(assignment?.code == .notFound)
            let teams = try await harness.client.listTeams(.init(), metadata: other)
            #expect(teams.teams.isEmpty)
            let joined = await refusal {
                _ = try await harness.client.upsertAgent(
                    .with {
                        $0.agent = .with {
                            $0.id = "mallory"
                            $0.capacity = 3
                            $0.teamIds = [team.id]
                        }
                    }, metadata: other)
            }
            #expect(joined?.code == .invalidArgument)
            #expect(joined?.field == "agent.team_ids[0]")
            let assignToTheirTeam = await refusal {
                _ = try await harness.client.assignConversation(
                    .with {
                        $0.conversationID = "c9"
                        $0.teamID = team.id
                    }, metadata: other)
            }
            #expect(assignToTheirTeam?.code == .notFound)
            let mismatch = await refusal {
                _ = try await harness.client.upsertAgent(
                    .with {
                        $0.agent = .with {
                            $0.id = "mallory"
                            $0.organizationID = AssignmentHarness.organization
                            $0.capacity = 3
                        }
                    }, metadata: other)
            }
            #expect(mismatch?.code == .permissionDenied)
            // Their route of the same conversation id is their own conversation, in their own org.
            let theirs = try await harness.route([
                AssignmentHarness.conversation("c1", organization: "org-other")
            ])
            #expect(theirs.first?.outcome == .failed)
            #expect(theirs.first?.error.code == Int32(RPCError.Code.notFound.rawValue))
        }
    }

    @Test func aMaskedUpsertChangesOnlyTheNamedFields() async throws {
        try await AssignmentHarness.with { harness in
            let team = try await harness.team("Support")
            try await harness.agent("ana", teams: [team], capacity: 10)
            let updated = try await harness.client.upsertAgent(
                .with {
                    $0.agent = .with {
                        $0.id = "ana"
                        $0.capacity = 3
                    }
                    $0.updateMask = .with { $0.paths = ["capacity"] }
                }, metadata: AssignmentHarness.admin())
            #expect(updated.capacity == 3)
            #expect(updated.teamIds == [team.id])
            #expect(updated.displayName == "Ana")
            let unknown = await refusal {
                _ = try await harness.client.upsertAgent(
                    .with {
                        $0.agent = .with {
                            $0.id = "ana"
                            $0.capacity = 3
                        }
                        $0.updateMask = .with { $0.paths = ["salary"] }
                    }, metadata: AssignmentHarness.admin())
            }
            #expect(unknown?.code == .invalidArgument)
            #expect(unknown?.field == "update_mask")
        }
    }
}

import Foundation
import GRPCCore
import InboxAPI
import Logging
import SwiftProtobuf
import TestSupport
import Testing

@testable import PolicyService

/// The seed's 60-day rule through the RPCs and the sweeper, with a clock the tests move.
@Suite("policy-service: the 60-day inactivity rule")
struct InboxActivityTests {
    static let day: TimeInterval = 86_400

    func state(_ harness: PolicyHarness, _ id: String) async throws -> Inbox_V1_InboxState {
        try await harness.client.getInboxState(
            .with { $0.organizationID = id }, metadata: PolicyHarness.metadata(.operator))
    }

    func ingest(_ harness: PolicyHarness, _ id: String) async throws -> Inbox_V1_IngestVerdict {
        let response = try await harness.client.checkIngest(
            .with {
                $0.queries = [
                    .with {
                        $0.organizationID = id
                        $0.platform = .facebook
                    }
                ]
            }, metadata: PolicyHarness.metadata(.service))
        return try #require(response.verdicts.first)
    }

    @Test func day60DeactivatesOnceAcrossReplicasAndHoldsEvents() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization()
            let created = harness.clock.now
            let fresh = try await self.state(harness, organization.id)
            #expect(fresh.status == .active)
            #expect(fresh.daysLeft == 60)
            #expect(fresh.deactivatesAt.date == created.addingTimeInterval(60 * Self.day))

            // 59 days 23 hours: still active, even after a sweep.
            harness.clock.set(created.addingTimeInterval(59 * Self.day + 23 * 3600))
            #expect(await harness.sweeper().sweepOnce() == [])
            #expect(try await self.state(harness, organization.id).status == .active)
            #expect(try await self.ingest(harness, organization.id).decision == .deliver)

            // 60 days and 1 second: two replicas sweep at once; exactly one deactivates it.
            harness.clock.set(created.addingTimeInterval(60 * Self.day + 1))
            async let first = harness.sweeper().sweepOnce()
            async let second = harness.sweeper().sweepOnce()
            let results = await [first, second]
            #expect(results.compactMap { $0 }.flatMap { $0 } == [organization.id])
            let deactivated = try await self.state(harness, organization.id)
            #expect(deactivated.status == .deactivated)
            #expect(deactivated.daysLeft == 0)
            #expect(deactivated.deactivatedAt.date == harness.clock.now)
            let held = try await self.ingest(harness, organization.id)
            #expect(held.decision == .hold)
            #expect(held.reasonCode == .inboxDeactivated)

            // Opening a deactivated inbox does not re-activate it; ActivateInbox does.
            _ = try await harness.client.recordActivity(
                .with {
                    $0.organizationID = organization.id
                    $0.kind = .inboxOpened
                }, metadata: PolicyHarness.metadata(.service))
            #expect(try await self.state(harness, organization.id).status == .deactivated)
            let agent = await refusal {
                _ = try await harness.client.activateInbox(
                    .init(), metadata: PolicyHarness.metadata(.agent, organization.id))
            }
            #expect(agent?.code == .permissionDenied)
            let activated = try await harness.client.activateInbox(
                .init(), metadata: PolicyHarness.metadata(.admin, organization.id))
            #expect(activated.status == .active)
            #expect(activated.lastActivityKind == .activated)
            #expect(activated.daysLeft == 60)
            #expect(try await self.ingest(harness, organization.id).decision == .deliver)
        }
    }

    /// The seed: automatic replies keep an inbox active.
    @Test func anAutomaticReplyOnDay59KeepsTheInboxActive() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization()
            let created = harness.clock.now
            _ = try await harness.client.createAutoReplyRule(
                .with {
                    $0.rule = .with {
                        $0.name = "always"
                        $0.replyText = "Thanks, we will answer soon."
                        $0.keywords = .with { $0.keywords = ["hello"] }
                    }
                }, metadata: PolicyHarness.metadata(.admin, organization.id))
            harness.clock.set(created.addingTimeInterval(59 * Self.day))
            let decisions = try await harness.client.evaluateAutoReply(
                .with {
                    $0.candidates = [
                        .with {
                            $0.organizationID = organization.id
                            $0.conversationID = "c-1"
                            $0.platform = .facebook
                            $0.conversationKind = .directMessage
                            $0.text = "Hello there"
                            $0.eventType = .message
                            $0.receivedAt = Google_Protobuf_Timestamp(date: harness.clock.now)
                        }
                    ]
                }, metadata: PolicyHarness.metadata(.service))
            #expect(decisions.decisions.first?.reply == true)
            let state = try await self.state(harness, organization.id)
            #expect(state.lastActivityKind == .automaticReply)
            harness.clock.set(created.addingTimeInterval(60 * Self.day + 1))
            #expect(await harness.sweeper().sweepOnce() == [])
            #expect(try await self.state(harness, organization.id).status == .active)
        }
    }

    @Test func activityNeverMovesBackwards() async throws {
        try await PolicyHarness.with { harness in
            let organization = try await harness.organization()
            harness.clock.advance(by: 10 * Self.day)
            let recent = try await harness.client.recordActivity(
                .with {
                    $0.organizationID = organization.id
                    $0.kind = .teamReply
                }, metadata: PolicyHarness.metadata(.service))
            let late = try await harness.client.recordActivity(
                .with {
                    $0.organizationID = organization.id
                    $0.kind = .inboxOpened
                    $0.occurredAt = Google_Protobuf_Timestamp(date: harness.clock.now.addingTimeInterval(-5 * Self.day))
                }, metadata: PolicyHarness.metadata(.service))
            #expect(late.lastActivityAt == recent.lastActivityAt)
            #expect(late.lastActivityKind == .teamReply)
            let invalid = await refusal {
                _ = try await harness.client.recordActivity(
                    .with {
                        $0.organizationID = organization.id
                        $0.kind = .activated
                    }, metadata: PolicyHarness.metadata(.service))
            }
            #expect(invalid?.field == "kind")
        }
    }

    @Test func plansRejectAndUnknownOrganisationsAreRejected() async throws {
        try await PolicyHarness.with { harness in
            let standard = try await harness.organization(plan: .standard)
            let enterprise = try await harness.organization("Big", plan: .enterprise)
            let platforms: [Inbox_V1_Platform] = [.wechat, .telegram, .twilioSms, .facebook, .webChat]
            var queries: [Inbox_V1_IngestQuery] = []
            for organization in [standard.id, enterprise.id] {
                for platform in platforms {
                    queries.append(
                        .with {
                            $0.organizationID = organization
                            $0.platform = platform
                        })
                }
            }
            queries.append(
                .with {
                    $0.organizationID = "org-missing"
                    $0.platform = .facebook
                })
            let verdicts = try await harness.client.checkIngest(
                .with { $0.queries = queries }, metadata: PolicyHarness.metadata(.service)
            ).verdicts
            #expect(verdicts.count == queries.count)
            #expect(
                verdicts.prefix(3).allSatisfy { $0.decision == .reject && $0.reasonCode == .planDoesNotAllowPlatform })
            #expect(verdicts[3...4].allSatisfy { $0.decision == .deliver })
            #expect(verdicts[5...9].allSatisfy { $0.decision == .deliver })
            #expect(verdicts[10].decision == .reject)
            #expect(verdicts[10].reasonCode == .resourceNotFound)
            #expect(zip(verdicts, queries).allSatisfy { $0.query == $1 })
            let agent = await refusal {
                _ = try await harness.client.checkIngest(
                    .with { $0.queries = queries }, metadata: PolicyHarness.metadata(.agent, standard.id))
            }
            #expect(agent?.code == .permissionDenied)
        }
    }
}

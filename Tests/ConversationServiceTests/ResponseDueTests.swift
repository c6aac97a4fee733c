import Foundation
import InboxAPI
import InboxKit
import TestSupport
import Testing

@testable import ConversationService

@Suite("conversation-service: the first response's due time")
struct ResponseDueTests {
    /// The policy stand-in's organisations have a first-response target of one hour.
    @Test func aWaitingCustomerIsDueAnAnswerWithinTheOrganisationsTarget() async throws {
        try await ConversationHarness.with { h in
            let written = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 600).rounded(.down))
            let first = try await h.ingest([ConversationHarness.message("due-1", at: written)])
            let id = try #require(first.first?.conversationID)
            let conversation = try await h.client.getConversation(
                .with { $0.conversationID = id }, metadata: ConversationHarness.agent())
            #expect(conversation.waitingSince.date == written)
            #expect(conversation.firstResponseDueAt.date == written.addingTimeInterval(3600))
            #expect(!conversation.hasFirstResponseAt)

            // A second message while the customer still waits does not move the due time.
            _ = try await h.ingest([ConversationHarness.message("due-2", at: written.addingTimeInterval(60))])
            let later = try await h.client.getConversation(
                .with { $0.conversationID = id }, metadata: ConversationHarness.agent())
            #expect(later.firstResponseDueAt == conversation.firstResponseDueAt)
            #expect(h.peers.with { $0.policyCalls.filter { $0 == "GetOrganization" }.count } == 1)
        }
    }

    /// policy-service down: the batch is ingested without a due time, and the next batches do not
    /// wait for policy again right away.
    @Test func aPolicyThatCannotAnswerLeavesNoDueTimeAndIsNotAskedOnEveryBatch() async throws {
        try await ConversationHarness.with { h in
            h.peers.with { $0.failPolicy = 1 }
            let first = try await h.ingest([ConversationHarness.message("down-1")])
            #expect(first.first?.outcome == .created)
            let id = try #require(first.first?.conversationID)
            _ = try await h.ingest([ConversationHarness.message("down-2", from: "customer-2")])
            let conversation = try await h.client.getConversation(
                .with { $0.conversationID = id }, metadata: ConversationHarness.agent())
            #expect(conversation.hasWaitingSince)
            #expect(!conversation.hasFirstResponseDueAt)
            #expect(h.peers.with { $0.policyCalls.filter { $0 == "GetOrganization" }.count } == 1)
        }
    }
}

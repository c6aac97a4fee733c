import GRPCCore
import InboxAPI
import TestSupport
import Testing

@testable import ConversationService

@Suite("ConversationService: schema and v1 surface")
struct ConversationServiceFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.conversationService, ConversationMigrations.all)
    }

    @Test func everyRPCNeedsAToken() async throws {
        try await ConversationHarness.with { harness in
            let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
                harness.parts.rpc, Inbox_V1_ConversationService.Method.descriptors)
            #expect(outcomes.values.allSatisfy { $0 != .unauthenticated })
        }
    }

    @Test func batchesOverTheLimitAreRefusedWhole() async throws {
        try await ConversationHarness.with { harness in
            let conversations = harness.client
            let metadata = try await TestTokens.metadata(.service)
            try await FoundationChecks.expectBatchTooLarge("events") {
                _ = try await conversations.ingestEvents(
                    .with { $0.events = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
            try await FoundationChecks.expectBatchTooLarge("updates") {
                _ = try await conversations.recordDeliveryStatus(
                    .with { $0.updates = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
            try await FoundationChecks.expectBatchTooLarge("items") {
                _ = try await conversations.setAssignee(
                    .with { $0.items = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
        }
    }
}

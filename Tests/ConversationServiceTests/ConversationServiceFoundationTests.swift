import InboxAPI
import TestSupport
import Testing

@testable import ConversationService

@Suite("ConversationService: schema and v1 surface")
struct ConversationServiceFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.conversationService, ConversationMigrations.all)
    }

    @Test func everyRPCNeedsATokenAndAnswersUnimplementedUntilBuilt() async throws {
        let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
            ConversationRPC(), Inbox_V1_ConversationService.Method.descriptors)
        #expect(outcomes.values.allSatisfy { $0 == .unimplemented })
    }
}

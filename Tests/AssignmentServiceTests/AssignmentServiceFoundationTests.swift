import GRPCCore
import InboxAPI
import TestSupport
import Testing

@testable import AssignmentService

@Suite("AssignmentService: schema and v1 surface")
struct AssignmentServiceFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.assignmentService, AssignmentMigrations.all)
    }

    @Test func everyRPCNeedsATokenAndAnswersUnimplementedUntilBuilt() async throws {
        let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
            AssignmentRPC(), Inbox_V1_AssignmentService.Method.descriptors)
        #expect(outcomes.values.allSatisfy { $0 == .unimplemented })
    }

    @Test func batchesOverTheLimitAreRefusedWhole() async throws {
        try await withInProcessServer(services: [AssignmentRPC()]) { client in
            let assignment = Inbox_V1_AssignmentService.Client(wrapping: client)
            let metadata = try await TestTokens.metadata(.service)
            try await FoundationChecks.expectBatchTooLarge("conversations") {
                _ = try await assignment.routeConversation(
                    .with { $0.conversations = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
        }
    }
}

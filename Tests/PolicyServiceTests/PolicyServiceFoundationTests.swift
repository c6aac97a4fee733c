import GRPCCore
import InboxAPI
import TestSupport
import Testing

@testable import PolicyService

@Suite("PolicyService: schema and v1 surface")
struct PolicyServiceFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.policyService, PolicyMigrations.all)
    }

    @Test func everyRPCNeedsATokenAndAnswersUnimplementedUntilBuilt() async throws {
        let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
            PolicyRPC(), Inbox_V1_PolicyService.Method.descriptors)
        #expect(outcomes.values.allSatisfy { $0 == .unimplemented })
    }

    @Test func batchesOverTheLimitAreRefusedWhole() async throws {
        try await withInProcessServer(services: [PolicyRPC()]) { client in
            let policy = Inbox_V1_PolicyService.Client(wrapping: client)
            let metadata = try await TestTokens.metadata(.service)
            try await FoundationChecks.expectBatchTooLarge("queries") {
                _ = try await policy.checkIngest(
                    .with { $0.queries = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
            try await FoundationChecks.expectBatchTooLarge("candidates") {
                _ = try await policy.evaluateAutoReply(
                    .with { $0.candidates = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
        }
    }
}

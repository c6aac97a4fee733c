import Foundation
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

    @Test func everyRPCNeedsATokenAndIsBuilt() async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .policyService), schema: "policy") { postgres in
                let rpc = PolicyRPC(
                    repository: PolicyRepository(client: postgres, logger: .init(label: "t")),
                    cache: IngestFactsCache(), defaultInactivityDays: 60, now: { Date() })
                let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
                    rpc, Inbox_V1_PolicyService.Method.descriptors)
                #expect(outcomes.values.allSatisfy { $0 != .unimplemented })
            }
        }
    }

    @Test func batchesOverTheLimitAreRefusedWhole() async throws {
        try await PolicyHarness.with { harness in
            let client = harness.client
            let policy = client
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

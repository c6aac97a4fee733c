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
}

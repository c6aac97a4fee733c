import GRPCCore
import InboxAPI
import InboxKit
import Logging
import TestSupport
import Testing

@testable import AssignmentService

@Suite("AssignmentService: schema and v1 surface")
struct AssignmentServiceFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await FoundationChecks.migrationsApplyOnce(.assignmentService, AssignmentMigrations.all)
    }

    @Test func everyRPCNeedsATokenAndIsBuilt() async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .assignmentService), schema: "assignment") { postgres in
                try await MigrationRunner(schema: "assignment", migrations: AssignmentMigrations.all)
                    .migrate(postgres, logger: Logger(label: "migrations"))
                let outcomes = try await FoundationChecks.everyMethodNeedsAToken(
                    AssignmentHarness.rpc(postgres, InboxStates()), Inbox_V1_AssignmentService.Method.descriptors)
                #expect(outcomes.values.allSatisfy { $0 != .unimplemented })
            }
        }
    }

    @Test func batchesOverTheLimitAreRefusedWhole() async throws {
        try await AssignmentHarness.with { harness in
            let metadata = try await TestTokens.metadata(.service)
            try await FoundationChecks.expectBatchTooLarge("conversations") {
                _ = try await harness.client.routeConversation(
                    .with { $0.conversations = Array(repeating: .init(), count: 501) }, metadata: metadata)
            }
        }
    }
}

import GRPCCore
import InboxAPI
import InboxKit
import Logging
import TestSupport
import Testing

@testable import PolicyService

@Suite("PolicyService: schema and v1 surface")
struct PolicyServiceFoundationTests {
    @Test func migrationsApplyToItsOwnSchemaAsItsOwnRole() async throws {
        try await withTestDatabase { database in
            let service = InboxService.policyService
            try await withPostgresClient(database.url(for: service), schema: service.schema) { client in
                let runner = MigrationRunner(schema: service.schema, migrations: PolicyMigrations.all)
                let applied = try await runner.migrate(client, logger: Logger(label: "test"))
                #expect(applied == Array(1...PolicyMigrations.all.count))
                #expect(try await runner.migrate(client, logger: Logger(label: "test")).isEmpty)
            }
        }
    }

    @Test func everyRPCNeedsATokenAndAnswersUnimplementedUntilBuilt() async throws {
        try await withInProcessServer(services: [PolicyRPC()]) { client in
            let descriptors = Inbox_V1_PolicyService.Method.descriptors
            let anonymous = await callEveryMethod(descriptors, client: client, metadata: [:])
            #expect(anonymous.count == descriptors.count)
            #expect(anonymous.values.allSatisfy { $0 == .unauthenticated })
            let authenticated = await callEveryMethod(
                descriptors,
                client: client,
                metadata: try await TestTokens.metadata(.admin)
            )
            #expect(authenticated.values.allSatisfy { $0 == .unimplemented })
        }
    }
}

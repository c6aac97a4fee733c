import InboxKit
import PostgresNIO
import TestSupport
import Testing

@Suite("One database, four schemas, four roles")
struct SchemaIsolationTests {
    @Test func aRoleCannotReachAnotherSchema() async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .channelGateway), schema: "gateway") { gateway in
                try await gateway.query("CREATE TABLE channels_probe (secret text)")
                try await gateway.query("INSERT INTO channels_probe VALUES ('page token')")
            }
            for other in [InboxService.conversationService, .assignmentService, .policyService] {
                try await withPostgresClient(database.url(for: other), schema: other.schema) { client in
                    let error = await #expect(throws: PSQLError.self) {
                        try await client.query("SELECT secret FROM gateway.channels_probe")
                    }
                    #expect(error?.serverInfo?[.sqlState] == "42501")  // insufficient_privilege
                    let create = await #expect(throws: PSQLError.self) {
                        try await client.query("CREATE TABLE gateway.intruder (x int)")
                    }
                    #expect(create?.serverInfo?[.sqlState] == "42501")
                    let publicSchema = await #expect(throws: PSQLError.self) {
                        try await client.query("CREATE TABLE public.shared (x int)")
                    }
                    #expect(publicSchema?.serverInfo?[.sqlState] == "42501")
                    // Its own schema is its to use.
                    try await client.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(other.schema).own (x int)"))
                }
            }
        }
    }

    @Test func eachRoleOwnsOnlyItsSchema() async throws {
        try await withTestDatabase { database in
            try await withPostgresClient(database.admin, schema: nil) { admin in
                let rows = try await admin.query(
                    """
                    SELECT nspname, pg_get_userbyid(nspowner) FROM pg_namespace
                    WHERE nspname IN ('gateway', 'conversations', 'assignment', 'policy') ORDER BY 1
                    """
                )
                var owners: [String: String] = [:]
                for try await (schema, owner) in rows.decode((String, String).self) { owners[schema] = owner }
                #expect(owners.count == 4)
                for service in InboxService.allCases {
                    #expect(owners[service.schema] == service.databaseRole)
                }
            }
        }
    }
}

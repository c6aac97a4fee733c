public import InboxKit
import Logging
public import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A throw-away database for one test, cloned from the template that `deploy/local/test`
/// prepares with `deploy/sql/init.sql` (the four roles and schemas, nothing else). Tests that need
/// PostgreSQL fail — never skip — when it is not there.
public struct TestDatabase: Sendable {
    public let name: String
    public let admin: DatabaseURL

    /// `INBOX_TEST_DATABASE_URL`: a superuser URL of the test cluster (set by deploy/local/test).
    public static let adminURLVariable = "INBOX_TEST_DATABASE_URL"
    /// `INBOX_TEST_TEMPLATE`: the template database (default `inbox_template`).
    public static let templateVariable = "INBOX_TEST_TEMPLATE"

    public static func adminURL() throws -> DatabaseURL {
        let environment = Environment.process
        guard let raw = environment.optionalString(Self.adminURLVariable) else {
            throw TestDatabaseError(
                "\(Self.adminURLVariable) is not set: these tests need PostgreSQL; run them with deploy/local/test"
            )
        }
        return try DatabaseURL(parsing: raw, variable: Self.adminURLVariable)
    }

    /// Creates a new database from the template.
    public static func create() async throws -> TestDatabase {
        let admin = try Self.adminURL()
        let template = Environment.process.optionalString(Self.templateVariable) ?? "inbox_template"
        let name = "test_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        try await withPostgresClient(admin, schema: nil) { client in
            let exists = try await client.query("SELECT 1 FROM pg_database WHERE datname = \(template)")
            var found = false
            for try await _ in exists { found = true }
            guard found else {
                throw TestDatabaseError(
                    "template database \(template) is missing: run the tests with deploy/local/test, which creates it"
                )
            }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name) TEMPLATE \(template)"))
        }
        var url = admin
        url.database = name
        return TestDatabase(name: name, admin: url)
    }

    /// The URL a service uses: its own role (with the development password of init.sql).
    public func url(for service: InboxService) -> DatabaseURL {
        DatabaseURL(
            host: self.admin.host,
            port: self.admin.port,
            username: service.databaseRole,
            password: "\(service.databaseRole)-dev",
            database: self.name
        )
    }

    public func drop() async throws {
        var maintenance = self.admin
        maintenance.database = "postgres"
        try await withPostgresClient(maintenance, schema: nil) { client in
            try await client.query(PostgresQuery(unsafeSQL: "DROP DATABASE IF EXISTS \(self.name) WITH (FORCE)"))
        }
    }
}

public struct TestDatabaseError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// Runs `body` with a fresh test database, dropped afterwards (also when `body` throws).
@discardableResult
public func withTestDatabase<T: Sendable>(_ body: (TestDatabase) async throws -> T) async throws -> T {
    let database = try await TestDatabase.create()
    do {
        let result = try await body(database)
        try await database.drop()
        return result
    } catch {
        try? await database.drop()
        throw error
    }
}

/// Runs `body` with a running `PostgresClient` for `url`.
@discardableResult
public func withPostgresClient<T: Sendable>(
    _ url: DatabaseURL,
    schema: String?,
    maxConnections: Int = 4,
    _ body: (PostgresClient) async throws -> T
) async throws -> T {
    let client = PostgresClient(
        configuration: .init(url, schema: schema, maxConnections: maxConnections),
        backgroundLogger: Logger(label: "test-postgres")
    )
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await client.run() }
        defer { group.cancelAll() }
        return try await body(client)
    }
}

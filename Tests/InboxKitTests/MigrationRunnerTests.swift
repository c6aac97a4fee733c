import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import InboxKit

@Suite("Migration runner against PostgreSQL")
struct MigrationRunnerTests {
    let logger = Logger(label: "migrations-test")
    let first = Migration(version: 1, name: "tickets", sql: "CREATE TABLE tickets (id int PRIMARY KEY);")
    let second = Migration(
        version: 2,
        name: "ticket titles",
        sql: """
            ALTER TABLE tickets ADD COLUMN title text NOT NULL DEFAULT '';
            CREATE INDEX tickets_title ON tickets (title);
            """
    )

    @discardableResult
    func withPolicyClient<T: Sendable>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        try await withTestDatabase { database in
            try await withPostgresClient(database.url(for: .policyService), schema: "policy", body)
        }
    }

    func versions(_ client: PostgresClient) async throws -> [Int] {
        var versions: [Int] = []
        for try await version in try await client.query("SELECT version FROM policy.schema_migrations ORDER BY 1")
            .decode(Int.self)
        {
            versions.append(version)
        }
        return versions
    }

    @Test func appliesPendingOnceAndRecordsThem() async throws {
        try await self.withPolicyClient { client in
            let runner = MigrationRunner(schema: "policy", migrations: [self.first, self.second])
            #expect(try await runner.migrate(client, logger: self.logger) == [1, 2])
            #expect(try await runner.migrate(client, logger: self.logger) == [])
            #expect(try await self.versions(client) == [1, 2])
            // The tables landed in the service's own schema.
            try await client.query("INSERT INTO policy.tickets (id, title) VALUES (1, 'x')")
        }
    }

    @Test func appliesOnlyWhatIsNew() async throws {
        try await self.withPolicyClient { client in
            try await MigrationRunner(schema: "policy", migrations: [self.first]).migrate(client, logger: self.logger)
            let applied = try await MigrationRunner(schema: "policy", migrations: [self.first, self.second])
                .migrate(client, logger: self.logger)
            #expect(applied == [2])
        }
    }

    @Test func refusesAnEditedMigration() async throws {
        try await self.withPolicyClient { client in
            try await MigrationRunner(schema: "policy", migrations: [self.first]).migrate(client, logger: self.logger)
            let edited = Migration(version: 1, name: "tickets", sql: "CREATE TABLE tickets (id bigint PRIMARY KEY);")
            await #expect(throws: MigrationError.edited(schema: "policy", version: 1, name: "tickets")) {
                try await MigrationRunner(schema: "policy", migrations: [edited, self.second])
                    .migrate(client, logger: self.logger)
            }
            // Nothing of the second migration was applied either.
            #expect(try await self.versions(client) == [1])
            let message = MigrationError.edited(schema: "policy", version: 1, name: "tickets").description
            #expect(message.contains("append-only"))
        }
    }

    @Test func refusesADatabaseAheadOfTheBuild() async throws {
        try await self.withPolicyClient { client in
            try await MigrationRunner(schema: "policy", migrations: [self.first, self.second])
                .migrate(client, logger: self.logger)
            await #expect(throws: MigrationError.unknownVersion(schema: "policy", version: 2)) {
                try await MigrationRunner(schema: "policy", migrations: [self.first]).migrate(
                    client, logger: self.logger)
            }
        }
    }

    @Test func allPendingMigrationsApplyInOneTransaction() async throws {
        try await self.withPolicyClient { client in
            let broken = Migration(version: 2, name: "broken", sql: "ALTER TABLE no_such_table ADD COLUMN x int;")
            await #expect(throws: (any Error).self) {
                try await MigrationRunner(schema: "policy", migrations: [self.first, broken])
                    .migrate(client, logger: self.logger)
            }
            // Migration 1 was rolled back with the failing 2: not recorded, table absent.
            let rows = try await client.query("SELECT to_regclass('policy.tickets') IS NULL")
            for try await absent in rows.decode(Bool.self) { #expect(absent) }
            let recorded = try await client.query("SELECT to_regclass('policy.schema_migrations') IS NULL")
            for try await absent in recorded.decode(Bool.self) { #expect(absent) }
        }
    }

    @Test func refusesAGapInTheSequence() async throws {
        try await self.withPolicyClient { client in
            await #expect(throws: MigrationError.self) {
                try await MigrationRunner(schema: "policy", migrations: [self.second]).migrate(
                    client, logger: self.logger)
            }
        }
    }

    /// Two replicas starting at once: the advisory lock lets one migrate while the other waits
    /// (without a deadline), then finds nothing left to do; every migration is applied once.
    @Test func twoRunnersMigratingTheSameSchemaAtOnceApplyEachMigrationOnce() async throws {
        try await withTestDatabase { database in
            let slow = Migration(version: 1, name: "slow", sql: "PERFORM pg_sleep(1); CREATE TABLE slow (id int);")
            let migrations = [slow, self.second.renamed(version: 2, sql: "CREATE TABLE after_slow (id int);")]
            try await withPostgresClient(database.url(for: .policyService), schema: "policy") { first in
                try await withPostgresClient(database.url(for: .policyService), schema: "policy") { second in
                    let runner = MigrationRunner(schema: "policy", migrations: migrations)
                    async let a = runner.migrate(first, logger: self.logger)
                    async let b = runner.migrate(second, logger: self.logger)
                    let applied = try await [a, b]
                    #expect(applied.sorted { $0.count > $1.count } == [[1, 2], []])
                    #expect(try await self.versions(first) == [1, 2])
                }
            }
        }
    }
}

/// Which refusals a starting service waits out, and which stop it.
@Suite("Start-up: transient SQLSTATEs are retried")
struct StartupRetryTests {
    @Test func transientRefusalsAreRetriedAndOthersAreNot() {
        for code in ["57P03", "53300", "08006", "08001", "57P01", nil] as [String?] {
            #expect(DatabaseReadiness.isTransient(sqlState: code), "\(code ?? "nil")")
        }
        for code in ["42501", "42P01", "28P01", "3D000", "23505"] {
            #expect(!DatabaseReadiness.isTransient(sqlState: code), "\(code)")
        }
    }

    @Test func backoffGrowsWithJitterAndIsBounded() {
        let first = DatabaseReadiness.backoff(attempt: 1)
        #expect(first >= .milliseconds(375) && first <= .milliseconds(625))
        let later = DatabaseReadiness.backoff(attempt: 20)
        #expect(later >= .milliseconds(7500) && later <= .milliseconds(12_500))
    }
}

extension Migration {
    func renamed(version: Int, sql: String) -> Migration {
        Migration(version: version, name: "\(self.name) \(version)", sql: sql)
    }
}

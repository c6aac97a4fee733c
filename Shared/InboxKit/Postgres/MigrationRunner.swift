public import Logging
public import PostgresNIO

/// Applies a service's migrations to its schema at start-up: all pending ones in one
/// transaction, under an advisory lock so that replicas starting together migrate once, each
/// recorded with its checksum in `<schema>.schema_migrations`.
///
/// A migration's SQL may hold several statements: it runs as the body of one PL/pgSQL `DO` block
/// (PostgreSQL's extended protocol takes one statement at a time), so a migration uses `PERFORM`
/// rather than a bare `SELECT`, and cannot use statements that refuse to run in a transaction.
public struct MigrationRunner: Sendable {
    public let schema: String
    public let migrations: [Migration]

    public init(schema: String, migrations: [Migration]) {
        self.schema = schema
        self.migrations = migrations
    }

    /// Returns the versions applied now (empty when the schema was current).
    @discardableResult
    public func migrate(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try self.validate()
        let table = "\(self.schema).schema_migrations"
        let lockKey = "social-inbox.migrations.\(self.schema)"
        do {
            return try await self.migrate(client, table: table, lockKey: lockKey, logger: logger)
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    private func migrate(_ client: PostgresClient, table: String, lockKey: String, logger: Logger) async throws -> [Int]
    {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(hashtext(\(lockKey)))", logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(table) (
                            version integer PRIMARY KEY,
                            name text NOT NULL,
                            checksum text NOT NULL,
                            applied_at timestamptz NOT NULL DEFAULT now()
                        )
                        """
                ),
                logger: logger
            )
            var applied: [Int: String] = [:]
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT version, checksum FROM \(table) ORDER BY version"),
                logger: logger
            )
            for try await (version, checksum) in rows.decode((Int, String).self) {
                applied[version] = checksum
            }
            let known = Dictionary(uniqueKeysWithValues: self.migrations.map { ($0.version, $0) })
            for version in applied.keys.sorted() where known[version] == nil {
                throw MigrationError.unknownVersion(schema: self.schema, version: version)
            }
            var appliedNow: [Int] = []
            for migration in self.migrations {
                if let checksum = applied[migration.version] {
                    guard checksum == migration.checksum else {
                        throw MigrationError.edited(
                            schema: self.schema, version: migration.version, name: migration.name)
                    }
                    continue
                }
                try await connection.query(
                    PostgresQuery(unsafeSQL: "SET LOCAL search_path TO \(self.schema)"),
                    logger: logger
                )
                try await connection.query(
                    PostgresQuery(unsafeSQL: "DO $migration$ BEGIN\n\(migration.sql)\nEND $migration$"),
                    logger: logger
                )
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: "INSERT INTO \(table) (version, name, checksum) VALUES ($1, $2, $3)",
                        binds: Self.binds(migration.version, migration.name, migration.checksum)
                    ),
                    logger: logger
                )
                appliedNow.append(migration.version)
                logger.info(
                    "applied migration", metadata: ["schema": "\(self.schema)", "version": "\(migration.version)"])
            }
            return appliedNow
        }
    }

    func validate() throws {
        guard !self.schema.isEmpty, self.schema.allSatisfy({ $0.isLowercase || $0 == "_" }) else {
            throw MigrationError.invalidSchemaName(self.schema)
        }
        for (index, migration) in self.migrations.enumerated() where migration.version != index + 1 {
            throw MigrationError.invalidSequence(
                schema: self.schema,
                detail: "expected version \(index + 1), found \(migration.version) (\(migration.name))"
            )
        }
    }

    private static func binds(_ version: Int, _ name: String, _ checksum: String) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(version)
        binds.append(name)
        binds.append(checksum)
        return binds
    }
}

import Crypto

/// One versioned step of a service's schema. Append-only: once a migration has landed its SQL
/// is never edited (the runner refuses a changed checksum); changes come as a new version.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    /// One or more SQL statements, run in the service's schema.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }

    /// SHA-256 of the SQL text, lowercase hex.
    public var checksum: String {
        SHA256.hash(data: Array(self.sql.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}

/// Why a schema cannot be migrated; each message says what to do.
public enum MigrationError: Error, Equatable, CustomStringConvertible {
    /// A landed migration's SQL changed since it was applied.
    case edited(schema: String, version: Int, name: String)
    /// The database has a version this build does not know (a newer build migrated it).
    case unknownVersion(schema: String, version: Int)
    /// The code's list is not strictly increasing from 1 without gaps.
    case invalidSequence(schema: String, detail: String)
    case invalidSchemaName(String)

    public var description: String {
        switch self {
        case .edited(let schema, let version, let name):
            "migration \(version) (\(name)) of schema \(schema) was edited after it was applied; "
                + "migrations are append-only: restore its text and add a new migration instead"
        case .unknownVersion(let schema, let version):
            "schema \(schema) has migration \(version), which this build does not know; "
                + "run a build that includes it"
        case .invalidSequence(let schema, let detail):
            "the migrations of schema \(schema) are out of sequence: \(detail)"
        case .invalidSchemaName(let name):
            "'\(name)' is not a valid schema name"
        }
    }
}

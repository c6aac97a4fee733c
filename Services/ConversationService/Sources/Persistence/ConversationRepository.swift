import InboxAPI
import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A pool or one connection (inside a transaction): reads are written once for both.
protocol Queryable: Sendable {
    func queryRows(_ query: PostgresQuery, logger: Logger, file: String, line: Int) async throws -> PostgresRowSequence
}

extension Queryable {
    func rows(_ query: PostgresQuery, logger: Logger, file: String = #fileID, line: Int = #line) async throws
        -> PostgresRowSequence
    {
        try await self.queryRows(query, logger: logger, file: file, line: line)
    }
}

extension PostgresClient: Queryable {
    func queryRows(_ query: PostgresQuery, logger: Logger, file: String, line: Int) async throws -> PostgresRowSequence
    {
        try await self.query(query, logger: logger, file: file, line: line)
    }
}

extension PostgresConnection: Queryable {
    func queryRows(_ query: PostgresQuery, logger: Logger, file: String, line: Int) async throws -> PostgresRowSequence
    {
        try await self.query(query, logger: logger, file: file, line: line)
    }
}

/// conversation-service's tables (`conversations` schema). Every query names the organisation:
/// callers pass the one of the caller's token, so one organisation never reads another's rows.
/// The extensions in the other `ConversationRepository+*.swift` files hold each capability's SQL.
struct ConversationRepository: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Shared by the copies of this repository (a class): the activity buckets queued already.
    let activityBuckets = ActivityBuckets()

    /// Runs `body` in a transaction. A deadlock or serialization failure (two batches touching the
    /// same conversations in different orders) rolls back and runs `body` again, up to 3 times; a
    /// domain error thrown inside comes out as itself.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await self.client.withTransaction(logger: self.logger) { connection in
                    try await body(connection)
                }
            } catch let error as PostgresTransactionError {
                let underlying = error.closureError ?? error.beginError ?? error.commitError ?? error
                if attempt < 3, Self.isRetryable(underlying) {
                    try await Task.sleep(for: .milliseconds(5 * attempt))
                    continue
                }
                throw underlying
            }
        }
    }

    static func isRetryable(_ error: any Error) -> Bool {
        guard let psql = error as? PSQLError, let code = psql.serverInfo?[.sqlState] else { return false }
        return code == "40P01" || code == "40001"
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    // MARK: Reads shared by every capability

    func conversation(_ id: UUID, organizationID: String, on db: any Queryable) async throws -> ConversationRecord? {
        let rows = try await db.rows(
            "\(unescaped: ConversationRecord.select) WHERE c.organization_id = \(organizationID) AND c.id = \(id)",
            logger: self.logger)
        for try await row in rows { return try ConversationRecord(row) }
        return nil
    }

    /// The conversation, locked until the end of the caller's transaction.
    func lockedConversation(_ id: UUID, organizationID: String, on connection: PostgresConnection) async throws
        -> ConversationRecord?
    {
        let rows = try await connection.query(
            """
            \(unescaped: ConversationRecord.select)
            WHERE c.organization_id = \(organizationID) AND c.id = \(id) FOR NO KEY UPDATE OF c
            """,
            logger: self.logger)
        for try await row in rows { return try ConversationRecord(row) }
        return nil
    }

    /// The conversations with these (organisation, id) pairs, keyed by id.
    func conversations(_ keys: [ConversationKey], on db: any Queryable) async throws -> [UUID: ConversationRecord] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await db.rows(
            """
            \(unescaped: ConversationRecord.select)
            WHERE (c.organization_id, c.id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.id))::uuid[]))
            """,
            logger: self.logger)
        var result: [UUID: ConversationRecord] = [:]
        for try await row in rows {
            let record = try ConversationRecord(row)
            result[record.id] = record
        }
        return result
    }

    func message(_ id: UUID, organizationID: String, on db: any Queryable) async throws -> MessageRecord? {
        let rows = try await db.rows(
            """
            SELECT \(unescaped: MessageRecord.columns) FROM messages
            WHERE organization_id = \(organizationID) AND id = \(id)
            """,
            logger: self.logger)
        for try await row in rows { return try MessageRecord(row) }
        return nil
    }

    func messages(_ keys: [ConversationKey], on db: any Queryable) async throws -> [UUID: MessageRecord] {
        guard !keys.isEmpty else { return [:] }
        let rows = try await db.rows(
            """
            SELECT \(unescaped: MessageRecord.columns) FROM messages
            WHERE (organization_id, id) IN (
                SELECT * FROM unnest(\(keys.map(\.organizationID))::text[], \(keys.map(\.id))::uuid[]))
            """,
            logger: self.logger)
        var result: [UUID: MessageRecord] = [:]
        for try await row in rows {
            let record = try MessageRecord(row)
            result[record.id] = record
        }
        return result
    }
}

/// An organisation and a row id in it (conversations, messages).
struct ConversationKey: Sendable, Hashable {
    var organizationID: String
    var id: UUID
}

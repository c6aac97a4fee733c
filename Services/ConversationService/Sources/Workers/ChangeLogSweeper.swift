import Logging
import PostgresNIO
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Keeps the change log to `retention` (26 h by default; the proto promises resuming for 24 h):
/// every `interval` it deletes older changes in batches, each in its own short transaction so it
/// never holds many row locks. Singleton work (DESIGN.md §1): a batch runs only under a
/// transaction-scoped advisory lock, so with several replicas one sweeps and the others skip.
/// A watcher whose resume point was swept gets a RESET.
struct ChangeLogSweeper: Service {
    /// The advisory lock of this sweeper ("conv_clg"), distinct from every other key in the database.
    static let lockKey: Int64 = 0x636F_6E76_5F63_6C67

    let client: PostgresClient
    let logger: Logger
    let retention: Duration
    var interval: Duration = .seconds(300)
    var batchSize = 5000
    let now: @Sendable () -> Date

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    await self.sweepOnce()
                    try await Task.sleep(for: self.interval)
                }
            }
        } catch is CancellationError {
            // Shutting down: the next sweep (here or on another replica) goes on from where this stopped.
        }
    }

    /// Deletes every change older than `retention`, batch by batch; returns how many. Nothing when
    /// another replica holds the lock (it is sweeping) or the database fails (the next sweep retries).
    @discardableResult
    func sweepOnce() async -> Int {
        let seconds =
            Double(self.retention.components.seconds)
            + Double(self.retention.components.attoseconds) / 1e18
        let cutoff = self.now().addingTimeInterval(-seconds)
        var total = 0
        do {
            while let deleted = try await self.deleteBatch(olderThan: cutoff) {
                total += deleted
                if deleted < self.batchSize { break }
            }
        } catch {
            self.logger.warning(
                "the change log sweep failed; the next one retries", metadata: ["error": "\(String(reflecting: error))"]
            )
        }
        if total > 0 { self.logger.debug("change log swept", metadata: ["deleted": "\(total)"]) }
        return total
    }

    /// One batch under the lock; nil when another session holds it.
    private func deleteBatch(olderThan cutoff: Date) async throws -> Int? {
        try await self.client.withTransaction(logger: self.logger) { connection -> Int? in
            let lock = try await connection.query(
                "SELECT pg_try_advisory_xact_lock(\(Self.lockKey))", logger: self.logger)
            var locked = false
            for try await value in lock.decode(Bool.self) { locked = value }
            guard locked else { return nil }
            // Each organisation's floor moves to the newest change removed: a watch resuming
            // before it may have missed something (RESET).
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM changes WHERE (organization_id, tx, seq) IN (
                        SELECT organization_id, tx, seq FROM changes WHERE occurred_at < \(cutoff)
                        ORDER BY occurred_at LIMIT \(self.batchSize))
                    RETURNING organization_id, tx, seq),
                newest AS (
                    SELECT DISTINCT ON (organization_id) organization_id, tx, seq FROM gone
                    ORDER BY organization_id, tx DESC, seq DESC),
                floors AS (
                    INSERT INTO change_floors (organization_id, tx, seq)
                    SELECT organization_id, tx, seq FROM newest
                    ON CONFLICT (organization_id) DO UPDATE SET tx = excluded.tx, seq = excluded.seq
                        WHERE (change_floors.tx, change_floors.seq) < (excluded.tx, excluded.seq))
                SELECT count(*) FROM gone
                """,
                logger: self.logger)
            var deleted = 0
            for try await count in rows.decode(Int64.self) { deleted = Int(count) }
            return deleted
        }
    }
}

public import Logging
import Metrics
public import PostgresNIO
public import ServiceLifecycle

/// Brings a service to SERVING: waits for its database, applies its migrations, then keeps
/// checking that the database answers. Health is NOT_SERVING until the schema is migrated,
/// whenever the database stops answering, and from the start of a graceful shutdown (so that
/// load balancers drain the replica first). A migration that cannot apply (an edited
/// migration, an SQL error) stops the process; an unreachable database, and the transient
/// refusals of a real cluster (57P03 starting up, 53300 too many connections, class 08
/// connection failures, 57P01 admin shutdown), are retried with exponential backoff and jitter.
///
/// Only reachability is under the probe deadline: the migrations themselves run without one, so a
/// long migration, or a wait behind another replica's advisory lock, is never cut off and re-run.
/// Each probe also samples this role's connections (`inbox_db_connections{state}` across every
/// replica of the service, from `pg_stat_activity`) beside the pool's size
/// (`inbox_db_pool_max_connections`).
public struct DatabaseReadiness: Service {
    let client: PostgresClient
    let migrations: MigrationRunner
    let health: HealthStatus
    let logger: Logger
    let probeInterval: Duration
    let queryTimeout: Duration
    let maxConnections: Int

    public init(
        client: PostgresClient,
        migrations: MigrationRunner,
        health: HealthStatus,
        logger: Logger,
        probeInterval: Duration = .seconds(5),
        queryTimeout: Duration = .seconds(10),
        maxConnections: Int = 10
    ) {
        self.client = client
        self.migrations = migrations
        self.health = health
        self.logger = logger
        self.probeInterval = probeInterval
        self.queryTimeout = queryTimeout
        self.maxConnections = maxConnections
    }

    public func run() async throws {
        defer {
            self.health.setAll(.notServing)
            self.health.finishWatchers()
        }
        do {
            try await withGracefulShutdownHandler {
                try await cancelWhenGracefulShutdown {
                    try await self.migrateWhenReachable()
                    self.health.setAll(.serving)
                    self.logger.info("serving", metadata: ["schema": "\(self.migrations.schema)"])
                    try await self.probeForever()
                }
            } onGracefulShutdown: {
                self.health.setAll(.notServing)
                self.health.finishWatchers()
            }
        } catch is CancellationError {
            // Shutting down: waiting for the database or probing it simply stops.
        }
    }

    private func migrateWhenReachable() async throws {
        var attempt = 0
        while true {
            do {
                try await withDeadline(self.queryTimeout) {
                    try await self.client.query("SELECT 1", logger: self.logger)
                }
                try await self.migrations.migrate(self.client, logger: self.logger)
                return
            } catch let error as PSQLError where error.serverInfo != nil && !Self.isTransient(error) {
                throw DatabaseStartupError(schema: self.migrations.schema, detail: Self.describe(error))
            } catch let error as MigrationError {
                throw error
            } catch {
                try Task.checkCancellation()
                attempt += 1
                let delay = Self.backoff(attempt: attempt)
                self.logger.log(
                    level: attempt == 1 ? .warning : .debug,
                    "database not ready yet; retrying",
                    metadata: ["error": "\(Self.describe(error))", "attempt": "\(attempt)", "delay": "\(delay)"]
                )
                try await Task.sleep(for: delay)
            }
        }
    }

    private func probeForever() async throws {
        Gauge(label: "inbox_db_pool_max_connections").record(self.maxConnections)
        while true {
            try await Task.sleep(for: self.probeInterval)
            do {
                let (active, total) = try await withDeadline(self.queryTimeout) {
                    let rows = try await self.client.query(
                        """
                        SELECT count(*) FILTER (WHERE state = 'active')::int8, count(*)::int8
                        FROM pg_stat_activity WHERE usename = current_user
                        """,
                        logger: self.logger
                    )
                    for try await row in rows.decode((Int, Int).self) { return row }
                    return (0, 0)
                }
                Gauge(label: "inbox_db_connections", dimensions: [("state", "active")]).record(active)
                Gauge(label: "inbox_db_connections", dimensions: [("state", "idle")]).record(total - active)
                if self.health.status(of: "") != .serving {
                    self.logger.info("database reachable again")
                    self.health.setAll(.serving)
                }
            } catch {
                try Task.checkCancellation()
                if self.health.status(of: "") == .serving {
                    self.logger.error("database not reachable", metadata: ["error": "\(error)"])
                    self.health.setAll(.notServing)
                }
            }
        }
    }

    /// SQLSTATEs a real cluster answers while it cannot serve yet or just now: worth waiting for.
    static func isTransient(_ error: PSQLError) -> Bool {
        Self.isTransient(sqlState: error.serverInfo?[.sqlState])
    }

    /// 57P03 starting up, 53300 too many connections, 53000 insufficient resources, 57P01/57P02
    /// admin or crash shutdown, class 08 connection exceptions; no SQLSTATE at all is a transport
    /// failure. Everything else (42501 permissions, 42P01 SQL errors, ...) is for a person to fix.
    public static func isTransient(sqlState code: String?) -> Bool {
        guard let code else { return true }
        return ["57P03", "53300", "57P01", "57P02", "53000"].contains(code) || code.hasPrefix("08")
    }

    /// 0.5 s doubling per attempt up to 10 s, with ±25 % jitter so replicas do not retry in step.
    static func backoff(attempt: Int) -> Duration {
        let base = min(0.5 * Double(1 << min(attempt - 1, 5)), 10)
        return .milliseconds(Int(base * Double.random(in: 0.75...1.25) * 1000))
    }

    static func describe(_ error: any Error) -> String {
        guard let error = error as? PSQLError else { return "\(error)" }
        return error.serverInfo == nil ? "\(error.code)" : Self.describe(error)
    }

    static func describe(_ error: PSQLError) -> String {
        let code = error.serverInfo?[.sqlState] ?? "?"
        let message = error.serverInfo?[.message] ?? "unknown error"
        return "\(message) (SQLSTATE \(code))"
    }
}

/// The database refused the start-up work (permissions, SQL): the process cannot serve.
public struct DatabaseStartupError: Error, CustomStringConvertible {
    public let schema: String
    public let detail: String

    public var description: String { "cannot migrate schema \(self.schema): \(self.detail)" }
}

/// The operation did not finish within its deadline.
public struct DeadlineExceeded: Error, CustomStringConvertible {
    public let deadline: Duration
    public var description: String { "no answer within \(self.deadline)" }
}

/// Runs `operation`, cancelling it and throwing ``DeadlineExceeded`` after `deadline`.
@discardableResult
public func withDeadline<T: Sendable>(
    _ deadline: Duration,
    _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    try await withThrowingTaskGroup(of: T.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: deadline)
            throw DeadlineExceeded(deadline: deadline)
        }
        defer { group.cancelAll() }
        guard let result = try await group.next() else { throw CancellationError() }
        return result
    }
}

public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// Brings a service to SERVING: waits for its database, applies its migrations, then keeps
/// checking that the database answers. Health is NOT_SERVING until the schema is migrated,
/// whenever the database stops answering, and from the start of a graceful shutdown (so that
/// load balancers drain the replica first). A migration that cannot apply (an edited
/// migration, an SQL error) stops the process; an unreachable database is waited for.
public struct DatabaseReadiness: Service {
    let client: PostgresClient
    let migrations: MigrationRunner
    let health: HealthStatus
    let logger: Logger
    let probeInterval: Duration
    let queryTimeout: Duration

    public init(
        client: PostgresClient,
        migrations: MigrationRunner,
        health: HealthStatus,
        logger: Logger,
        probeInterval: Duration = .seconds(5),
        queryTimeout: Duration = .seconds(10)
    ) {
        self.client = client
        self.migrations = migrations
        self.health = health
        self.logger = logger
        self.probeInterval = probeInterval
        self.queryTimeout = queryTimeout
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
        var warned = false
        while true {
            do {
                try await withDeadline(self.queryTimeout) {
                    try await self.migrations.migrate(self.client, logger: self.logger)
                }
                return
            } catch let error as PSQLError where error.serverInfo != nil {
                throw DatabaseStartupError(schema: self.migrations.schema, detail: Self.describe(error))
            } catch let error as MigrationError {
                throw error
            } catch {
                try Task.checkCancellation()
                if !warned {
                    self.logger.warning("database not reachable yet; retrying", metadata: ["error": "\(error)"])
                    warned = true
                }
                try await Task.sleep(for: .seconds(1))
            }
        }
    }

    private func probeForever() async throws {
        while true {
            try await Task.sleep(for: self.probeInterval)
            do {
                try await withDeadline(self.queryTimeout) {
                    try await self.client.query("SELECT 1", logger: self.logger)
                }
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

import InboxKit
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// policy-service's own settings, beside the common ones.
public struct PolicyConfiguration: Sendable {
    public var common: ServiceConfiguration
    /// `INBOX_INACTIVITY_DAYS` (default 60): the 60-day rule's length for new organisations.
    public var inactivityDays: Int
    /// `INBOX_SWEEP_INTERVAL` (seconds, default 60): how often inboxes past it are deactivated.
    public var sweepInterval: Duration

    public init(common: ServiceConfiguration, inactivityDays: Int = 60, sweepInterval: Duration = .seconds(60)) {
        self.common = common
        self.inactivityDays = inactivityDays
        self.sweepInterval = sweepInterval
    }

    public static func load(from environment: Environment) throws -> PolicyConfiguration {
        PolicyConfiguration(
            common: try ServiceConfiguration.load(.policyService, from: environment),
            inactivityDays: try environment.integer("INBOX_INACTIVITY_DAYS", default: 60, range: 1...3650),
            sweepInterval: .seconds(try environment.integer("INBOX_SWEEP_INTERVAL", default: 60, range: 1...86_400))
        )
    }
}

/// The composition root of PolicyService.
public struct PolicyServiceApp: Sendable {
    public let configuration: PolicyConfiguration
    let now: @Sendable () -> Date

    public init(configuration: PolicyConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.configuration = configuration
        self.now = now
    }

    public init(configuration: ServiceConfiguration) {
        self.init(configuration: PolicyConfiguration(common: configuration))
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration.common, logger: logger)
        let repository = PolicyRepository(client: runtime.database, logger: logger)
        let cache = IngestFactsCache()
        let rpc = PolicyRPC(
            repository: repository, cache: cache, defaultInactivityDays: self.configuration.inactivityDays,
            now: self.now)
        let sweeper = InboxSweeper(
            repository: repository, cache: cache, interval: self.configuration.sweepInterval, now: self.now,
            logger: logger)
        try await runtime.run(rpcServices: [rpc], migrations: PolicyMigrations.all, background: [sweeper])
    }
}

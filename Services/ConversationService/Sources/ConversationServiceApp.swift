import InboxKit
import Logging
import PostgresNIO
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// conversation-service's own timings, beside the common settings. The defaults are production's;
/// tests shorten them.
public struct ConversationSettings: Sendable {
    /// How often the background workers look for due work when nothing woke them (other replicas'
    /// work, retries coming due).
    public var pollInterval: Duration = .seconds(1)
    /// The first retry delay of a failed follow-up or delivery hand-off; it doubles per attempt up
    /// to `maxRetryDelay`.
    public var retryDelay: Duration = .seconds(1)
    public var maxRetryDelay: Duration = .seconds(300)
    /// A watch with nothing to send gets a HEARTBEAT after this long.
    public var heartbeatInterval: Duration = .seconds(15)
    /// How long the change log keeps events for resuming watchers (at least 24 h, the contract).
    public var changeRetention: Duration = .seconds(26 * 3600)
    /// A watch whose client has not taken an event for this long is ended (RESOURCE_EXHAUSTED,
    /// STREAM_TOO_SLOW): the client resumes from its last cursor.
    public var slowWatcherTimeout: Duration = .seconds(30)

    public init() {}
}

/// The composition root of ConversationService.
public struct ConversationServiceApp: Sendable {
    public let configuration: ServiceConfiguration
    public var settings: ConversationSettings
    let now: @Sendable () -> Date

    public init(
        configuration: ServiceConfiguration, settings: ConversationSettings = ConversationSettings(),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.configuration = configuration
        self.settings = settings
        self.now = now
    }

    public func run(logger: Logger) async throws {
        let runtime = try await ServiceRuntime(configuration: self.configuration, logger: logger)
        let parts = Self.assemble(
            database: runtime.database, peers: ConversationPeers(runtime.peers), settings: self.settings,
            logger: logger, now: self.now)
        try await runtime.run(
            rpcServices: [parts.rpc], migrations: ConversationMigrations.all, background: parts.background)
    }

    /// The handlers and the background workers, wired; production and the tests build them here.
    static func assemble(
        database: PostgresClient, peers: ConversationPeers, settings: ConversationSettings, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) -> ConversationParts {
        let repository = ConversationRepository(client: database, logger: logger)
        let signals = ConversationSignals()
        let feed = ChangeFeed(client: database, settings: settings, logger: logger)
        let rpc = ConversationRPC(
            repository: repository, peers: peers, feed: feed, signals: signals,
            activity: ActivityThrottle(policy: peers.policy, logger: logger, now: now),
            responseTargets: ResponseTargets(policy: peers.policy, logger: logger), now: now)
        let background: [any Service] = [
            feed,
            ChangeLogSweeper(client: database, logger: logger, retention: settings.changeRetention, now: now),
            FollowUpWorker(
                repository: repository, peers: peers, settings: settings, signals: signals, logger: logger, now: now),
            DeliveryOutbox(
                repository: repository, peers: peers, settings: settings, signals: signals, logger: logger, now: now),
            SnoozeWaker(repository: repository, settings: settings, logger: logger, now: now),
        ]
        return ConversationParts(rpc: rpc, background: background)
    }
}

struct ConversationParts: Sendable {
    let rpc: ConversationRPC
    let background: [any Service]
}

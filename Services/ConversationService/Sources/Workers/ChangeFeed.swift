import InboxKit
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// The live side of the change log: ONE connection per process LISTENs on
/// ``ConversationRepository/changeChannel`` and wakes the watches of the organisation each
/// notification names. Every replica's commits reach every replica this way (DESIGN.md §1:
/// real-time fan-out goes through PostgreSQL LISTEN/NOTIFY, not process memory).
///
/// A watch is only a wake-up signal here: once woken, it reads the change log after its own cursor
/// itself, one page at a time, so a burst of changes costs no memory per watch and a slow client
/// never makes anything queue up. A dropped connection is taken again with backoff; while it is
/// away, watches keep re-reading every `pollInterval`, and every watch is woken once it is back, so
/// a notification lost in between delays a change by at most a poll, never loses it.
///
/// When the feed stops (graceful shutdown), it wakes every watch and ``isClosed`` turns true: the
/// watches end with UNAVAILABLE, and their clients resume on another replica with their cursor.
final class ChangeFeed: Service, Sendable {
    /// One watch's registration: woken at every notification for its organisation.
    struct Subscription: Sendable {
        let organizationID: String
        let id: Int
        let signal: WorkSignal

        /// Returns at the next notification (or at once if one came since the last wait), or
        /// after `timeout`.
        func wait(timeout: Duration) async {
            await self.signal.wait(timeout: timeout)
        }
    }

    private struct State {
        var nextID = 0
        var subscriptions: [String: [Int: WorkSignal]] = [:]
        var listening = false
        /// Counts the times LISTEN was established (tells a round that listened from one that failed).
        var generation = 0
        var closed = false
    }

    let client: PostgresClient
    let logger: Logger
    /// A watch with nothing to send gets a HEARTBEAT after this long.
    let heartbeatInterval: Duration
    /// How often a watch re-reads the change log without a notification (the safety net).
    let pollInterval: Duration
    /// A watch whose client has not taken an event for this long is ended (RESOURCE_EXHAUSTED).
    let slowWatcherTimeout: Duration
    private let retryDelay: Duration
    private let maxRetryDelay: Duration
    private let state = Mutex(State())

    /// The listener reconnects with the settings' backoff, but never waits more than this between
    /// attempts: live delivery should come back within seconds of the database.
    static let maxReconnectDelay: Duration = .seconds(30)

    init(client: PostgresClient, settings: ConversationSettings, logger: Logger) {
        self.client = client
        self.logger = logger
        self.heartbeatInterval = settings.heartbeatInterval
        self.pollInterval = settings.pollInterval
        self.slowWatcherTimeout = settings.slowWatcherTimeout
        self.retryDelay = settings.retryDelay
        self.maxRetryDelay = min(settings.maxRetryDelay, Self.maxReconnectDelay)
    }

    // MARK: Watches

    func subscribe(organizationID: String) -> Subscription {
        let signal = WorkSignal()
        let id = self.state.withLock { state -> Int in
            state.nextID += 1
            let id = state.nextID
            state.subscriptions[organizationID, default: [:]][id] = signal
            return id
        }
        return Subscription(organizationID: organizationID, id: id, signal: signal)
    }

    func unsubscribe(_ subscription: Subscription) {
        self.state.withLock { state in
            state.subscriptions[subscription.organizationID]?[subscription.id] = nil
            if state.subscriptions[subscription.organizationID]?.isEmpty == true {
                state.subscriptions[subscription.organizationID] = nil
            }
        }
    }

    /// How many watches of `organizationID` this process serves now.
    func subscriberCount(organizationID: String) -> Int {
        self.state.withLock { $0.subscriptions[organizationID]?.count ?? 0 }
    }

    /// Whether the LISTEN connection is up (notifications arrive).
    var isListening: Bool { self.state.withLock { $0.listening } }

    /// Whether the feed has stopped: watches end, their clients resume elsewhere.
    var isClosed: Bool { self.state.withLock { $0.closed } }

    /// Stops serving watches: every watch is woken and sees ``isClosed``.
    func close() {
        self.state.withLock { state in
            state.closed = true
            state.listening = false
        }
        self.wakeAll()
    }

    // MARK: The listener

    func run() async throws {
        // Only a cancellation (a shutdown) ends `listen`: every other failure is retried inside.
        try? await cancelWhenGracefulShutdown { try await self.listen() }
        self.close()
    }

    /// LISTENs until cancelled, taking a new connection with backoff whenever one drops.
    private func listen() async throws {
        var delay = self.retryDelay
        while true {
            if try await self.listenOnce() { delay = self.retryDelay }
            try await Task.sleep(for: delay)
            delay = min(delay * 2, self.maxRetryDelay)
        }
    }

    /// Listens on one pooled connection until it drops; returns whether LISTEN was established.
    private func listenOnce() async throws -> Bool {
        let generation = self.state.withLock { $0.generation }
        do {
            try await self.client.withConnection { connection in
                try await connection.listen(on: ConversationRepository.changeChannel) { notifications in
                    self.listenStarted()
                    for try await notification in notifications {
                        self.deliver(notification.payload)
                    }
                }
            }
        } catch {
            if !Task.isCancelled {
                self.logger.warning(
                    "the change feed lost its LISTEN connection; reconnecting",
                    metadata: ["error": "\(String(reflecting: error))"])
            }
        }
        let listened = self.state.withLock { state -> Bool in
            state.listening = false
            return state.generation != generation
        }
        try Task.checkCancellation()
        return listened
    }

    /// LISTEN is established: watches re-read once, for what was committed while nobody listened.
    private func listenStarted() {
        self.state.withLock { state in
            state.listening = true
            state.generation += 1
        }
        self.wakeAll()
    }

    /// Wakes the watches of the organisation a notification names (`<organization id> <last seq>`;
    /// split on the last space).
    private func deliver(_ payload: String) {
        guard let space = payload.lastIndex(of: " ") else { return }
        let organizationID = String(payload[..<space])
        let signals = self.state.withLock { state -> [WorkSignal] in
            Array((state.subscriptions[organizationID] ?? [:]).values)
        }
        for signal in signals { signal.wake() }
    }

    private func wakeAll() {
        let signals = self.state.withLock { state -> [WorkSignal] in
            state.subscriptions.values.flatMap(\.values)
        }
        for signal in signals { signal.wake() }
    }
}

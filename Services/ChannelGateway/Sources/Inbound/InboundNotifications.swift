import InboxKit
import Logging
import PostgresNIO
import ServiceLifecycle

/// LISTENs on ``InboundLog/notifyChannel`` on one pooled connection and wakes the relay and the
/// content fetcher at every notification: a commit on any replica reaches every replica's relay
/// at once (DESIGN.md §1). A dropped connection is taken again with backoff; meanwhile the relay
/// keeps polling every ``InboundSettings/pollInterval``, so a lost notification delays an event
/// by at most a poll. A second instance on ``DeliveryRepository/notifyChannel`` wakes the delivery
/// worker the same way.
struct InboundNotifications: Service {
    let client: PostgresClient
    let signals: [WorkSignal]
    let logger: Logger
    /// The NOTIFY channel listened on.
    var channel: String = InboundLog.notifyChannel

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var delay: Duration = .milliseconds(500)
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    try await self.client.withConnection { connection in
                        try await connection.listen(on: self.channel) { notifications in
                            // Anything committed while nobody listened.
                            self.wake()
                            for try await _ in notifications { self.wake() }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    self.logger.warning(
                        "a LISTEN connection was lost; reconnecting",
                        metadata: ["channel": "\(self.channel)", "error": "\(String(reflecting: error))"])
                }
                // A connection that held a while was fine: start the backoff over.
                if ContinuousClock.now - started > .seconds(10) { delay = .milliseconds(500) }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    private func wake() {
        for signal in self.signals { signal.wake() }
    }
}

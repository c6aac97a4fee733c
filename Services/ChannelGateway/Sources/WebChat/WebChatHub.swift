import InboxKit
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Wakes this replica's open visitor streams (WebSockets and long-polls) when their transcript
/// changes, on any replica: it LISTENs on ``WebChatTranscript/notifyChannel``, whose payload names
/// the channel and visitor, and wakes each of that visitor's subscribers, which then read their
/// changes after their own cursor. A notification only says "look": a stream reads what changed
/// from the table, so a lost one (a LISTEN connection dropped) costs latency, never a message —
/// after a reconnect every subscriber is woken, and each also looks every ``idleRecheck``.
final class WebChatHub: Service, Sendable {
    struct Key: Hashable, Sendable {
        var channelID: UUID
        var visitorID: String
    }

    /// An agent's typing indicator, as the stream shows it.
    struct Typing: Sendable, Hashable {
        var typing: Bool
        /// Empty: the channel's display name.
        var author: String
    }

    /// One open stream's wake-up, and the typing indicator waiting to be sent (the latest wins).
    final class Subscription: Sendable {
        let key: Key
        let id: UInt64
        let signal = WorkSignal()
        private let typing = Mutex<Typing?>(nil)

        init(key: Key, id: UInt64) {
            self.key = key
            self.id = id
        }

        func offer(_ typing: Typing) {
            self.typing.withLock { $0 = typing }
            self.signal.wake()
        }

        /// The indicator to send, once.
        func takeTyping() -> Typing? {
            self.typing.withLock { value in
                defer { value = nil }
                return value
            }
        }
    }

    private struct State {
        var subscribers: [Key: [UInt64: Subscription]] = [:]
        var nextID: UInt64 = 0
        var count = 0
    }

    static let idleRecheck: Duration = .seconds(30)

    private let client: PostgresClient
    private let logger: Logger
    private let state = Mutex(State())

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Open streams on this replica.
    var subscriberCount: Int { self.state.withLock { $0.count } }

    func subscribe(channelID: UUID, visitorID: String) -> Subscription {
        let key = Key(channelID: channelID, visitorID: visitorID)
        return self.state.withLock { state in
            state.nextID += 1
            let subscription = Subscription(key: key, id: state.nextID)
            state.subscribers[key, default: [:]][subscription.id] = subscription
            state.count += 1
            return subscription
        }
    }

    func unsubscribe(_ subscription: Subscription) {
        self.state.withLock { state in
            guard state.subscribers[subscription.key]?.removeValue(forKey: subscription.id) != nil else { return }
            state.count -= 1
            if state.subscribers[subscription.key]?.isEmpty == true {
                state.subscribers.removeValue(forKey: subscription.key)
            }
        }
    }

    /// Wakes the visitor's subscribers on this replica (the NOTIFY does it on every replica; a
    /// local change calls this too, so its own streams need not wait for the round trip).
    func wake(channelID: UUID, visitorID: String) {
        let subscriptions = self.state.withLock {
            $0.subscribers[Key(channelID: channelID, visitorID: visitorID)].map { Array($0.values) } ?? []
        }
        for subscription in subscriptions { subscription.signal.wake() }
    }

    private func wakeAll() {
        let subscriptions = self.state.withLock { $0.subscribers.values.flatMap(\.values) }
        for subscription in subscriptions { subscription.signal.wake() }
    }

    func run() async throws {
        try? await cancelWhenGracefulShutdown {
            var delay: Duration = .milliseconds(500)
            while !Task.isCancelled {
                let started = ContinuousClock.now
                do {
                    try await self.client.withConnection { connection in
                        try await connection.listen(on: WebChatTranscript.notifyChannel) { notifications in
                            // Whatever changed while nobody listened.
                            self.wakeAll()
                            for try await notification in notifications { self.handle(notification.payload) }
                        }
                    }
                } catch {
                    if Task.isCancelled { break }
                    self.logger.warning(
                        "the web-chat LISTEN connection was lost; reconnecting",
                        metadata: ["error": "\(String(reflecting: error))"])
                }
                if ContinuousClock.now - started > .seconds(10) { delay = .milliseconds(500) }
                try await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(30))
            }
        }
    }

    /// `<channel> <visitor>` (the transcript changed) or `<channel> <visitor> typing <0|1> <author>`.
    private func handle(_ payload: String) {
        let parts = payload.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count >= 2, let channel = UUID(uuidString: String(parts[0])) else { return }
        let key = Key(channelID: channel, visitorID: String(parts[1]))
        guard parts.count >= 4, parts[2] == "typing" else {
            self.wake(channelID: channel, visitorID: key.visitorID)
            return
        }
        let typing = Typing(typing: parts[3] == "1", author: parts.count > 4 ? String(parts[4]) : "")
        let subscriptions = self.state.withLock { $0.subscribers[key].map { Array($0.values) } ?? [] }
        for subscription in subscriptions { subscription.offer(typing) }
    }
}

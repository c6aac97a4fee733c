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

/// Counts what the inbound log has no row for — duplicate deliveries, bad signatures, items a
/// channel refused — and the last webhook error of each channel, in memory, and adds them to
/// `gateway.inbound_counters` (and `channels.last_error`) every ``InboundSettings/counterFlushInterval``:
/// one statement per interval instead of a hot row updated by every request. A crash loses at most
/// one interval of these counts, never an event.
final class InboundCounters: Service, Sendable {
    enum Name: String, Sendable, CaseIterable {
        case duplicate
        case badSignature = "bad_signature"
        /// Items refused by the channel binding (another account's item posted to this channel's URL).
        case refused
    }

    /// A channel's latest error, as health reports it.
    struct LastError: Sendable {
        var reason: String
        var text: String
        var at: Date
    }

    private struct State {
        var deltas: [String: [Name: Int]] = [:]
        var lastErrors: [UUID: LastError] = [:]
    }

    /// The scope of a shared endpoint's counts (no channel is known before the signature holds).
    static func appScope(_ platform: Platform) -> String { "app:\(platform.rawValue)" }

    private let client: PostgresClient
    private let interval: Duration
    private let logger: Logger
    private let state = Mutex(State())

    init(client: PostgresClient, interval: Duration, logger: Logger) {
        self.client = client
        self.interval = interval
        self.logger = logger
    }

    func add(_ name: Name, scope: String, _ count: Int = 1) {
        guard count > 0 else { return }
        self.state.withLock { $0.deltas[scope, default: [:]][name, default: 0] += count }
    }

    func recordError(channel: UUID, reason: String, text: String, at instant: Date) {
        self.state.withLock { $0.lastErrors[channel] = LastError(reason: reason, text: text, at: instant) }
    }

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
            }
        }
        await self.flush()
    }

    /// Writes what was counted since the last flush; on failure keeps it for the next one.
    func flush() async {
        let taken = self.state.withLock { state -> State in
            defer { state = State() }
            return state
        }
        guard !taken.deltas.isEmpty || !taken.lastErrors.isEmpty else { return }
        let counts = taken.deltas.flatMap { scope, names in names.map { (scope, $0.key.rawValue, $0.value) } }
        let errors = Array(taken.lastErrors)
        do {
            if !counts.isEmpty {
                try await self.client.query(
                    """
                    INSERT INTO inbound_counters (scope, name, value, updated_at)
                    SELECT scope, name, value, now()
                    FROM unnest(\(counts.map(\.0))::text[], \(counts.map(\.1))::text[], \(counts.map(\.2))::bigint[])
                        AS c(scope, name, value)
                    ON CONFLICT (scope, name) DO UPDATE
                        SET value = inbound_counters.value + EXCLUDED.value, updated_at = now()
                    """,
                    logger: self.logger)
            }
            if !errors.isEmpty {
                try await self.client.query(
                    """
                    UPDATE channels AS c SET last_error = e.text, last_error_reason = e.reason, last_error_at = e.at
                    FROM unnest(\(errors.map(\.key))::uuid[], \(errors.map(\.value.reason))::text[],
                        \(errors.map(\.value.text))::text[], \(errors.map(\.value.at))::timestamptz[])
                        AS e(id, reason, text, at)
                    WHERE c.id = e.id AND (c.last_error_at IS NULL OR c.last_error_at < e.at)
                    """,
                    logger: self.logger)
            }
        } catch {
            self.logger.warning(
                "could not write the inbound counters; kept for the next flush",
                metadata: ["error": "\(String(reflecting: error))"])
            self.state.withLock { state in
                for (scope, names) in taken.deltas {
                    for (name, value) in names { state.deltas[scope, default: [:]][name, default: 0] += value }
                }
                state.lastErrors.merge(taken.lastErrors) { newer, _ in newer }
            }
        }
    }
}

import InboxKit
import Logging
import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Commits webhook deliveries in groups: every request waiting when a writer is free goes into
/// ONE statement, hence one transaction and one WAL flush, and each request is answered once that
/// commit is durable (DESIGN.md §2: the 200 goes out only after the commit).
///
/// With durable settings a commit costs a flush to disk; one transaction per request would cap the
/// gateway at the disk's flush rate per connection. Grouping costs a waiting request nothing (it
/// would have waited for a connection anyway) and multiplies what one flush carries. Two writers
/// alternate, so one batch fills while the other flushes.
///
/// A failed statement fails every request of its batch (each answers 503 and the platform sends
/// it again): the statement is all or nothing, so nothing of those deliveries is stored.
final class InboundCommitter: Service, Sendable {
    /// A delivery waiting for its commit.
    private struct Waiting: Sendable {
        let write: InboundWrite
        let continuation: CheckedContinuation<Set<UUID>, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var running = true
    }

    /// The most rows one statement carries (a larger queue is split).
    static let maxRowsPerCommit = 2000
    static let writers = 2

    private let log: InboundLog
    private let logger: Logger
    /// Woken for each commit: the relay starts at once instead of waiting for its NOTIFY.
    private let onCommit: @Sendable () -> Void
    private let state = Mutex(State())
    private let signals = (0..<InboundCommitter.writers).map { _ in WorkSignal() }

    init(log: InboundLog, logger: Logger, onCommit: @escaping @Sendable () -> Void = {}) {
        self.log = log
        self.logger = logger
        self.onCommit = onCommit
    }

    /// Commits one delivery's rows (with the others waiting now); returns the ids of the rows that
    /// were new (the others were stored before: duplicates). Throws when the commit failed.
    func commit(_ write: InboundWrite) async throws -> Set<UUID> {
        guard !write.rows.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { continuation in
            let accepted = self.state.withLock { state -> Bool in
                guard state.running else { return false }
                state.queue.append(Waiting(write: write, continuation: continuation))
                return true
            }
            guard accepted else {
                continuation.resume(throwing: DomainError.unavailable("the gateway is shutting down"))
                return
            }
            for signal in self.signals { signal.wake() }
        }
    }

    func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            for signal in self.signals {
                group.addTask { await self.write(signal: signal) }
            }
        }
    }

    /// One writer: takes what waits, commits it, answers; sleeps until woken otherwise. On
    /// graceful shutdown it finishes what is queued (the HTTP server stops first), then refuses.
    private func write(signal: WorkSignal) async {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let batch = self.take()
                if batch.isEmpty {
                    await signal.wait(timeout: .seconds(1))
                    continue
                }
                await self.commit(batch)
            }
        }
        let left = self.state.withLock { state -> [Waiting] in
            state.running = false
            defer { state.queue = [] }
            return state.queue
        }
        for waiting in left {
            waiting.continuation.resume(throwing: DomainError.unavailable("the gateway is shutting down"))
        }
    }

    private func take() -> [Waiting] {
        self.state.withLock { state -> [Waiting] in
            var rows = 0
            var count = 0
            for waiting in state.queue {
                if count > 0 && rows + waiting.write.rows.count > Self.maxRowsPerCommit { break }
                rows += waiting.write.rows.count
                count += 1
            }
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
    }

    private func commit(_ batch: [Waiting]) async {
        do {
            let new = try await self.log.store(batch.map(\.write))
            self.onCommit()
            for waiting in batch {
                waiting.continuation.resume(returning: new.intersection(waiting.write.rows.map(\.id)))
            }
        } catch {
            self.logger.error(
                "could not commit webhook deliveries; they are answered 503 and the platforms send them again",
                metadata: ["deliveries": "\(batch.count)", "error": "\(String(reflecting: error))"])
            for waiting in batch { waiting.continuation.resume(throwing: error) }
        }
    }
}

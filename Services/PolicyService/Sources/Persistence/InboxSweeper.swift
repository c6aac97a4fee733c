import InboxKit
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Deactivates inboxes past their inactivity days every `INBOX_SWEEP_INTERVAL`. Every replica
/// runs one; the sweep itself runs once at a time across replicas (an advisory lock the others
/// skip), and is idempotent, so replicas never deactivate twice nor miss a due inbox for long.
struct InboxSweeper: Service {
    let repository: PolicyRepository
    let cache: IngestFactsCache
    let interval: Duration
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: self.interval)
                    await self.sweepOnce()
                }
            }
        } catch is CancellationError {
            // Shutting down: the next sweep is another replica's, or this one's after a restart.
        }
    }

    /// One sweep; returns the organisations deactivated by this replica (nil: another replica
    /// held the lock, or the database did not answer).
    @discardableResult
    func sweepOnce() async -> [String]? {
        do {
            guard let deactivated = try await self.repository.sweep(now: self.now()) else { return nil }
            for id in deactivated {
                self.cache.invalidate(id)
                self.logger.info("inbox deactivated after inactivity", metadata: ["organization": "\(id)"])
            }
            return deactivated
        } catch {
            self.logger.warning(
                "inbox sweep failed; retrying next interval", metadata: ["error": "\(String(reflecting: error))"])
            return nil
        }
    }
}

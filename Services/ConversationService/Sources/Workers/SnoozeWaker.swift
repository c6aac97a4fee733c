import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Brings snoozed conversations back when their snooze is over: every `settings.pollInterval`,
/// the conversations whose `snoozed_until` has passed go from PENDING to OPEN (watchers get the
/// change). Safe on every replica at once: the rows are claimed `FOR UPDATE SKIP LOCKED`, so each
/// wake is done and logged once.
struct SnoozeWaker: Service {
    let repository: ConversationRepository
    let settings: ConversationSettings
    let logger: Logger
    let now: @Sendable () -> Date
    /// Conversations woken per transaction; a full batch is followed by the next one at once.
    var batchSize = 500

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    let woken = await self.wakeOnce()
                    if woken < self.batchSize { try await Task.sleep(for: self.settings.pollInterval) }
                }
            }
        } catch is CancellationError {
            // Shutting down: the next due snoozes are woken by another replica or the next start.
        }
    }

    /// One pass; returns how many conversations woke. A failure is logged and retried next pass.
    @discardableResult
    func wakeOnce() async -> Int {
        do {
            return try await self.repository.wakeSnoozed(now: self.now(), limit: self.batchSize)
        } catch {
            self.logger.warning(
                "could not wake snoozed conversations", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
    }
}

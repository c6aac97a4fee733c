import GRPCCore
import InboxAPI
import InboxKit
import Logging
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Tells policy-service about inbox activity (an agent opened the inbox) at most once per
/// `interval` per organisation and kind, never on every call (the 60-day rule needs days, not
/// seconds). A failed report is forgotten so the next call tries again; it never fails the call
/// that triggered it.
final class ActivityThrottle: Sendable {
    let policy: any Inbox_V1_PolicyService.ClientProtocol
    let interval: TimeInterval
    let logger: Logger
    let now: @Sendable () -> Date
    private let last = Mutex<[String: Date]>([:])

    init(
        policy: any Inbox_V1_PolicyService.ClientProtocol, interval: TimeInterval = 300, logger: Logger,
        now: @escaping @Sendable () -> Date
    ) {
        self.policy = policy
        self.interval = interval
        self.logger = logger
        self.now = now
    }

    func record(_ kind: Inbox_V1_ActivityKind, organizationID: String, agentID: String?) async {
        let now = self.now()
        let key = "\(kind.rawValue) \(organizationID)"
        let due = self.last.withLock { last -> Bool in
            if let previous = last[key], now.timeIntervalSince(previous) < self.interval { return false }
            last[key] = now
            return true
        }
        guard due else { return }
        do {
            var options = CallOptions.defaults
            options.timeout = .seconds(2)
            _ = try await self.policy.recordActivity(
                .with {
                    $0.organizationID = organizationID
                    $0.kind = kind
                    $0.occurredAt = .init(date: now)
                    $0.agentID = agentID ?? ""
                }, options: options)
        } catch {
            _ = self.last.withLock { $0.removeValue(forKey: key) }
            self.logger.warning(
                "could not record inbox activity at policy-service",
                metadata: ["organization": "\(organizationID)", "error": "\(error)"])
        }
    }
}

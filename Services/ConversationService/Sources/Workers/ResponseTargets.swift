import GRPCCore
import InboxAPI
import InboxKit
import Logging
import Synchronization

/// Each organisation's first-response target (policy-service's `Organization.first_response_target`),
/// cached for `ttl` so a batch of ingests asks policy at most once a minute per organisation. An
/// organisation policy cannot answer for now gets no due time on this batch's conversations (the
/// next customer message sets it), and is not asked again for `retryAfter`: ingest waits at most a
/// second for policy, and not on every batch while policy is down.
final class ResponseTargets: Sendable {
    let policy: any Inbox_V1_PolicyService.ClientProtocol
    let ttl: Duration
    let retryAfter: Duration
    let logger: Logger
    /// Seconds (0: no target, or unknown for now) and until when the entry holds.
    private let cache = Mutex<[String: (seconds: Int64, until: ContinuousClock.Instant)]>([:])

    init(
        policy: any Inbox_V1_PolicyService.ClientProtocol, ttl: Duration = .seconds(60),
        retryAfter: Duration = .seconds(10), logger: Logger
    ) {
        self.policy = policy
        self.ttl = ttl
        self.retryAfter = retryAfter
        self.logger = logger
    }

    /// Seconds by organisation, only for those with a target.
    func targets(for organizationIDs: Set<String>) async -> [String: Int64] {
        let now = ContinuousClock.now
        var result: [String: Int64] = [:]
        var missing: [String] = []
        self.cache.withLock { cache in
            for id in organizationIDs {
                if let hit = cache[id], now < hit.until {
                    if hit.seconds > 0 { result[id] = hit.seconds }
                } else {
                    missing.append(id)
                }
            }
        }
        var options = CallOptions.defaults
        options.timeout = .seconds(1)
        for id in missing {
            do {
                let organization = try await self.policy.getOrganization(
                    .with { $0.organizationID = id }, options: options)
                let seconds = organization.hasFirstResponseTarget ? organization.firstResponseTarget.seconds : 0
                self.cache.withLock { $0[id] = (seconds, now + self.ttl) }
                if seconds > 0 { result[id] = seconds }
            } catch {
                self.cache.withLock { $0[id] = (0, now + self.retryAfter) }
                self.logger.warning(
                    "could not read the first-response target at policy-service",
                    metadata: ["organization": "\(id)", "error": "\(error)"])
            }
        }
        return result
    }
}

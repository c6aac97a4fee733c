import GRPCCore
import InboxAPI
import InboxKit
import Synchronization

/// policy-service's `GetInboxState`, cached for a few seconds per organisation so that a batch
/// of routes or a burst of assignments asks policy once (DESIGN.md §1: a short-lived cache of a
/// decision instead of a call per request). A just-activated inbox may be refused for `ttl`.
final class PolicyInboxState: InboxStateSource {
    let policy: Inbox_V1_PolicyService.Client<PeerClients.Transport>
    let ttl: Duration
    private let cache: Mutex<[String: (active: Bool, at: ContinuousClock.Instant)]> = Mutex([:])

    init(policy: Inbox_V1_PolicyService.Client<PeerClients.Transport>, ttl: Duration = .seconds(5)) {
        self.policy = policy
        self.ttl = ttl
    }

    func isActive(organizationID: String) async throws -> Bool {
        let now = ContinuousClock.now
        let cached = self.cache.withLock { $0[organizationID] }
        if let cached, now - cached.at < self.ttl { return cached.active }
        let state = try await self.policy.getInboxState(.with { $0.organizationID = organizationID })
        let active = state.status != .deactivated
        self.cache.withLock { $0[organizationID] = (active, now) }
        return active
    }
}

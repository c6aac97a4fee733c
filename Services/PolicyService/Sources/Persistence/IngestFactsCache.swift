import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What `CheckIngest` needs of an organisation (its plan and its inbox's status), cached in
/// process so the relay's batches are answered without a query each. Entries live at most `ttl`
/// (2 s): a change made through another replica is seen within that bound; a change made through
/// this replica invalidates the entry at once. Bounded rather than LISTEN/NOTIFY because the
/// decision it serves is HOLD vs DELIVER of events that are kept either way (a late HOLD delays,
/// never loses), and reply decisions never read it.
final class IngestFactsCache: Sendable {
    struct Facts: Sendable, Hashable {
        var plan: Plan
        var inboxActive: Bool
    }

    private struct Entry {
        var facts: Facts?
        var expires: ContinuousClock.Instant
    }

    private let ttl: Duration
    private let entries = Mutex<[String: Entry]>([:])

    init(ttl: Duration = .seconds(2)) {
        self.ttl = ttl
    }

    /// The cached facts of each organisation still fresh; `nil` values mean "known not to exist".
    func cached(_ ids: Set<String>) -> [String: Facts?] {
        let now = ContinuousClock.now
        return self.entries.withLock { entries in
            var found: [String: Facts?] = [:]
            for id in ids {
                if let entry = entries[id], entry.expires > now { found[id] = .some(entry.facts) }
            }
            return found
        }
    }

    func store(_ facts: [String: Facts?]) {
        let expires = ContinuousClock.now + self.ttl
        self.entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll(keepingCapacity: true) }
            for (id, value) in facts { entries[id] = Entry(facts: value, expires: expires) }
        }
    }

    func invalidate(_ id: String) {
        _ = self.entries.withLock { $0.removeValue(forKey: id) }
    }
}

import InboxKit
import Synchronization

/// Token buckets by key (a visitor, an IP address): `burst` requests at once, then `perMinute`.
///
/// In memory, per gateway replica: with several replicas behind a load balancer a client gets up
/// to that many times the rate, which bounds abuse well enough for a widget; nothing is stored.
/// Buckets full again are forgotten when the table grows past ``capacity``.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    let burst: Double
    let perSecond: Double
    static let capacity = 100_000
    private let buckets = Mutex([String: Bucket]())

    init(burst: Int, perMinute: Int) {
        self.burst = Double(max(1, burst))
        self.perSecond = Double(max(1, perMinute)) / 60
    }

    /// Takes one token for `key`: nil when allowed, else how long until one is there.
    func take(_ key: String, now: ContinuousClock.Instant = .now) -> Duration? {
        self.buckets.withLock { buckets -> Duration? in
            if buckets.count >= Self.capacity {
                Self.prune(&buckets, now: now, burst: self.burst, rate: self.perSecond)
            }
            var bucket = buckets[key] ?? Bucket(tokens: self.burst, updated: now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated).timeInterval * self.perSecond)
            bucket.updated = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return .milliseconds(Int64(((1 - bucket.tokens) / self.perSecond * 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            return nil
        }
    }

    private static func prune(
        _ buckets: inout [String: Bucket], now: ContinuousClock.Instant, burst: Double, rate: Double
    ) {
        let refill = Duration.milliseconds(Int64(burst / rate * 1000))
        buckets = buckets.filter { now - $0.value.updated < refill }
    }
}

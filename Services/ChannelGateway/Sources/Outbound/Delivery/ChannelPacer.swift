import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Paces sends per channel with a token bucket, so one busy channel never starves the others and
/// no channel runs into its platform's rate limit by itself: a channel holds up to `burst` tokens,
/// refilled at `sendsPerSecond`, and each send takes one.
///
/// A delivery whose channel has no token is not waited on: the worker puts it back PENDING, due
/// when its turn comes, and sends the round's other channels at once. A platform's own rate-limit
/// answer (429 with a delay, Meta 613, Telegram `retry_after`) pauses the channel until then.
///
/// The buckets live in this replica's memory: N replicas together may send up to N times the
/// rate on one channel (each replica claims only part of a channel's due deliveries, so in practice
/// less). That keeps pacing off the database's hot path; a platform's rate-limit answer still
/// pauses the channel on the replica that got it, and retries after the platform's delay.
final class ChannelPacer: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Date
        var pausedUntil: Date?
        /// The latest turn handed to a waiting send: the next waiting one comes after it, so sends
        /// put back in successive rounds queue up instead of all coming due at the next token.
        var lastTurn: Date?
    }

    let sendsPerSecond: Double
    let burst: Double
    /// Beyond this many channels, buckets that are full again (idle channels) are forgotten.
    static let rememberedChannels = 10_000

    private let buckets = Mutex<[UUID: Bucket]>([:])

    init(sendsPerSecond: Double, burst: Double) {
        self.sendsPerSecond = max(sendsPerSecond, 0.001)
        self.burst = max(burst, 1)
    }

    /// Of `count` sends due now on `channel`, how many may go now (their tokens are taken), and for
    /// the others, in order, when each one's turn comes (one token apart, not taken yet).
    func admit(_ channel: UUID, count: Int, now: Date) -> (admitted: Int, later: [Date]) {
        guard count > 0 else { return (0, []) }
        let rate = self.sendsPerSecond
        let burst = self.burst
        return self.buckets.withLock { buckets in
            var bucket = buckets[channel] ?? Bucket(tokens: burst, updatedAt: now, pausedUntil: nil, lastTurn: nil)
            var admitted = 0
            var firstTurn: Date
            if let paused = bucket.pausedUntil, paused > now {
                // Paused: the bucket refills from the end of the pause.
                firstTurn = paused
            } else {
                let elapsed = max(0, now.timeIntervalSince(bucket.updatedAt))
                bucket.tokens = min(burst, bucket.tokens + elapsed * rate)
                bucket.updatedAt = now
                bucket.pausedUntil = nil
                admitted = min(count, Int(bucket.tokens.rounded(.down)))
                bucket.tokens -= Double(admitted)
                firstTurn = now.addingTimeInterval((1 - bucket.tokens) / rate)
            }
            if let last = bucket.lastTurn, last > now {
                firstTurn = max(firstTurn, last.addingTimeInterval(1 / rate))
            } else {
                bucket.lastTurn = nil
            }
            let later = (0..<(count - admitted)).map { firstTurn.addingTimeInterval(Double($0) / rate) }
            if let last = later.last { bucket.lastTurn = last }
            buckets[channel] = bucket
            if buckets.count > Self.rememberedChannels {
                buckets = buckets.filter { _, bucket in
                    let full = bucket.tokens + max(0, now.timeIntervalSince(bucket.updatedAt)) * rate >= burst
                    return !full || (bucket.pausedUntil.map { $0 > now } ?? false)
                        || (bucket.lastTurn.map { $0 > now } ?? false)
                }
            }
            return (admitted, later)
        }
    }

    /// The platform said to slow down: no send on `channel` before `until`, and the bucket starts
    /// empty after it.
    func pause(_ channel: UUID, until: Date) {
        self.buckets.withLock { buckets in
            var bucket = buckets[channel] ?? Bucket(tokens: 0, updatedAt: until, pausedUntil: nil, lastTurn: nil)
            bucket.pausedUntil = max(bucket.pausedUntil ?? until, until)
            bucket.tokens = 0
            bucket.updatedAt = max(bucket.updatedAt, until)
            buckets[channel] = bucket
        }
    }
}

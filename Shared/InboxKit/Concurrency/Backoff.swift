/// Exponential backoff for the background workers' retries: `base` for the first retry, doubled
/// per further attempt, at most `max`. Jitter, where wanted, is the caller's (it multiplies).
public enum Backoff {
    public static func delay(attempts: Int, base: Duration, max: Duration) -> Duration {
        let doublings = Swift.min(Swift.max(attempts - 1, 0), 30)
        return Swift.min(base * (1 << doublings), max)
    }
}

extension Duration {
    /// The duration in seconds, for `Date` arithmetic.
    public var timeInterval: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}

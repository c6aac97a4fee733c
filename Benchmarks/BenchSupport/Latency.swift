/// What the benchmark executables share: latencies in microseconds and their percentiles
/// (nearest rank, so p99 of 500 samples is the 495th smallest).
public func micros(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
}

/// The `p` quantile (0...1) of `values` by nearest rank; NaN when there are none.
public func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return .nan }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, max(0, Int((Double(sorted.count) * p).rounded(.up)) - 1))]
}

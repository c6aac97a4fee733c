import Metrics
import Synchronization

/// The inbound pipeline's Prometheus series (beside the RPC ones, at `GET /metrics`):
/// `inbox_webhooks_total{platform,outcome}` — one per request or item: `accepted`, `duplicate`,
/// `unrouted`, `unparsed`, `bad_signature`, `refused` (another status: 400, 404, 405, 413),
/// `unavailable` (503, a failed commit); and `inbox_relay_events_total{outcome}` — `delivered`,
/// `echo`, `held`, `rejected`, `retried`, `dead_lettered`.
enum InboundMetrics {
    private static let counters = Mutex<[String: Counter]>([:])

    static func webhook(_ platform: Platform, _ outcome: String, _ count: Int = 1) {
        guard count > 0 else { return }
        counter("inbox_webhooks_total", [("platform", platform.rawValue), ("outcome", outcome)])
            .increment(by: count)
    }

    static func relayed(_ outcome: String, _ count: Int = 1) {
        guard count > 0 else { return }
        counter("inbox_relay_events_total", [("outcome", outcome)]).increment(by: count)
    }

    /// The counter of `label` and these dimension values, made once (the outbound series use it too).
    static func counter(_ label: String, _ dimensions: [(String, String)]) -> Counter {
        let key = label + dimensions.map { "|\($0.1)" }.joined()
        return counters.withLock { counters in
            if let existing = counters[key] { return existing }
            let created = Counter(label: label, dimensions: dimensions)
            counters[key] = created
            return created
        }
    }
}

import Metrics

/// The outbound side's Prometheus series (beside the inbound ones, at `GET /metrics`):
/// `inbox_outbound_deliveries_total{platform,outcome}` — one per send or decision: `sent`,
/// `retried`, `paced` (put back for its channel's pace), or the FAILED reason (`maybe_sent`,
/// `token_invalid`, `outside_window`, `retries_exhausted`, ...); and
/// `inbox_delivery_statuses_total{outcome}` — what conversation-service answered the status
/// outbox: `applied`, `stale`, `not_found`, `invalid`, `retried`.
enum OutboundMetrics {
    static func delivery(_ platform: Platform, _ outcome: String, _ count: Int = 1) {
        guard count > 0 else { return }
        InboundMetrics.counter(
            "inbox_outbound_deliveries_total", [("platform", platform.rawValue), ("outcome", outcome)]
        )
        .increment(by: count)
    }

    static func status(_ outcome: String, _ count: Int = 1) {
        guard count > 0 else { return }
        InboundMetrics.counter("inbox_delivery_statuses_total", [("outcome", outcome)]).increment(by: count)
    }
}

import Metrics

/// The outbound side's Prometheus series (beside the inbound ones, at `GET /metrics`):
/// `inbox_outbound_deliveries_total{platform,outcome}` — one per send or decision: `sent`,
/// `retried`, `paced` (put back for its channel's pace), or the FAILED reason (`maybe_sent`,
/// `token_invalid`, `outside_window`, `retries_exhausted`, ...); and
/// `inbox_delivery_statuses_total{outcome}` — what conversation-service answered the status
/// outbox: `applied`, `stale`, `not_found`, `invalid`, `retried`; and
/// `inbox_status_webhooks_total{outcome}` — the platforms' status webhooks the relay applied to
/// the gateway's own deliveries: `moved` (a delivery went forward) or `unchanged` (stale, repeated,
/// or no delivery of ours has that platform id).
enum OutboundMetrics {
    static func delivery(_ platform: Platform, _ outcome: String, _ count: Int = 1) {
        guard count > 0 else { return }
        InboundMetrics.counter(
            "inbox_outbound_deliveries_total", [("platform", platform.rawValue), ("outcome", outcome)]
        )
        .increment(by: count)
    }

    /// `reported` statuses of one relay round, of which `moved` moved a delivery.
    static func statusWebhooks(moved: Int, reported: Int) {
        if moved > 0 {
            InboundMetrics.counter("inbox_status_webhooks_total", [("outcome", "moved")]).increment(by: moved)
        }
        if reported > moved {
            InboundMetrics.counter("inbox_status_webhooks_total", [("outcome", "unchanged")])
                .increment(by: reported - moved)
        }
    }

    static func status(_ outcome: String, _ count: Int = 1) {
        guard count > 0 else { return }
        InboundMetrics.counter("inbox_delivery_statuses_total", [("outcome", outcome)]).increment(by: count)
    }
}

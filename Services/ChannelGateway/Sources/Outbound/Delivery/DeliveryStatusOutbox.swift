import GRPCCore
import InboxAPI
import InboxKit
import Logging
import ServiceLifecycle

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Reports delivery states to conversation-service (`RecordDeliveryStatus`): the final state of
/// every delivery and the platform's message id, written to `delivery_status_outbox` in the
/// transaction that settled the delivery (``DeliveryWorker``), so a state is never lost between
/// the gateway and the inbox. In rounds:
///
/// 1. claim up to ``OutboundSettings/statusBatchSize`` due updates (`FOR UPDATE SKIP LOCKED`, a
///    claim that expires);
/// 2. send them in ONE `RecordDeliveryStatus` call (the contract's batch of at most 500);
/// 3. per result: APPLIED and STALE (the message already had this or a later state) are done;
///    NOT_FOUND is tried again a few times (``OutboundSettings/statusNotFoundAttempts``: a fast
///    send's answer can come back before conversation-service's own bookkeeping shows the
///    message) and then dropped with a warning; INVALID is logged and dropped (no retry changes
///    it). A failed call, or an answer without one result per update, retries the whole batch with
///    backoff, for as long as it takes.
///
/// Woken by the worker of this process after a round that queued statuses; the poll catches the
/// other replicas' and the retries.
struct DeliveryStatusOutbox: Service {
    let deliveries: DeliveryRepository
    let peers: GatewayPeers
    let settings: OutboundSettings
    let signal: WorkSignal
    let logger: Logger
    let now: @Sendable () -> Date

    /// One call's deadline.
    static let callTimeout: Duration = .seconds(30)
    /// How long a claim keeps other replicas off an update: a call and its settlement.
    static let claimDuration: Duration = .seconds(60)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let claimed = await self.round()
                if claimed < self.settings.statusBatchSize {
                    await self.signal.wait(timeout: self.settings.pollInterval)
                }
            }
        }
    }

    /// One round; returns how many updates it claimed.
    @discardableResult
    func round() async -> Int {
        let now = self.now()
        let claimed: [QueuedDeliveryStatus]
        do {
            claimed = try await self.deliveries.claimStatuses(
                limit: min(self.settings.statusBatchSize, 500), now: now,
                until: now + Self.claimDuration.timeInterval)
        } catch {
            self.logger.warning(
                "the status outbox could not claim updates", metadata: ["error": "\(String(reflecting: error))"])
            return 0
        }
        guard !claimed.isEmpty else { return 0 }
        let settled = await self.report(claimed)
        do {
            try await self.deliveries.settleStatuses(settled)
        } catch {
            self.logger.warning(
                "the status outbox could not record a round; its updates come due again after their claim",
                metadata: ["updates": "\(claimed.count)", "error": "\(String(reflecting: error))"])
        }
        return claimed.count
    }

    /// Sends `claimed` in one call and decides each update's fate from its result.
    func report(_ claimed: [QueuedDeliveryStatus]) async -> [(
        status: QueuedDeliveryStatus, settlement: DeliveryStatusSettlement
    )] {
        var options = CallOptions.defaults
        options.timeout = Self.callTimeout
        let response: Inbox_V1_RecordDeliveryStatusResponse
        do {
            response = try await self.peers.conversation.recordDeliveryStatus(
                .with { $0.updates = claimed.map(\.proto) }, options: options)
        } catch {
            let text = "conversation-service: \(InboundRelay.describe(error))"
            self.logger.info(
                "delivery statuses could not be reported; retrying",
                metadata: ["updates": "\(claimed.count)", "error": "\(text)"])
            OutboundMetrics.status("retried", claimed.count)
            return claimed.map { (status: $0, settlement: self.retry($0, error: text)) }
        }
        guard response.results.count == claimed.count else {
            let text = "conversation-service answered \(response.results.count) results for \(claimed.count) updates"
            OutboundMetrics.status("retried", claimed.count)
            return claimed.map { (status: $0, settlement: self.retry($0, error: text)) }
        }
        return zip(claimed, response.results).map { status, result in
            (status: status, settlement: self.settlement(status, result))
        }
    }

    func settlement(
        _ status: QueuedDeliveryStatus, _ result: Inbox_V1_DeliveryStatusResult
    ) -> DeliveryStatusSettlement {
        switch result.outcome {
        case .applied:
            OutboundMetrics.status("applied")
            return .done
        case .stale:
            OutboundMetrics.status("stale")
            return .done
        case .notFound:
            guard status.attempts < self.settings.statusNotFoundAttempts else {
                self.logger.warning(
                    "conversation-service has no message for a delivery's status; the status is dropped",
                    metadata: [
                        "delivery": "\(status.deliveryID.text)", "message": "\(status.messageID)",
                        "state": "\(status.state.rawValue)", "attempts": "\(status.attempts)",
                    ])
                OutboundMetrics.status("not_found")
                return .done
            }
            OutboundMetrics.status("retried")
            return self.retry(status, error: "conversation-service has no such message (yet)")
        case .invalid:
            self.logger.error(
                "conversation-service refused a delivery status as malformed; it is dropped",
                metadata: [
                    "delivery": "\(status.deliveryID.text)", "message": "\(status.messageID)",
                    "error": "\(result.error.message)",
                ])
            OutboundMetrics.status("invalid")
            return .done
        default:
            OutboundMetrics.status("retried")
            return self.retry(status, error: "conversation-service gave no outcome for this update")
        }
    }

    /// Due again after the backoff (doubling from ``OutboundSettings/statusRetryDelay``, with up
    /// to 25 % jitter).
    func retry(_ status: QueuedDeliveryStatus, error: String) -> DeliveryStatusSettlement {
        let doublings = min(max(status.attempts - 1, 0), 30)
        let delay = min(self.settings.statusRetryDelay * (1 << doublings), self.settings.statusMaxRetryDelay)
        let wait = delay.timeInterval * Double.random(in: 1...1.25)
        return .retry(at: self.now() + wait, error: String(error.prefix(500)))
    }
}

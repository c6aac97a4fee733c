#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Where an outbound delivery stands, in the words `gateway.outbound_deliveries.state` stores.
///
/// States move PENDING → SENDING → SENT (later DELIVERED, READ through status webhooks) or FAILED;
/// a retry moves SENDING back to PENDING. MAYBE_SENT is FAILED with ``DeliveryFailureReason/maybeSent``,
/// as `inbox.v1.DeliveryState` has no state of its own for it.
enum OutboundDeliveryState: String, Sendable, Hashable, CaseIterable {
    /// Queued, due at `next_attempt_at` (a worker's claim moves that forward while it holds the row).
    case pending
    /// A worker handed the request to the platform: it may be on the wire. A row still SENDING when
    /// its claim ran out belonged to a worker that died mid-send and becomes MAYBE_SENT.
    case sending
    case sent
    case delivered
    case read
    case failed

    /// Whether a platform's status webhook may move a delivery in `self` to `next`: forward only,
    /// SENT → DELIVERED → READ (DELIVERED may be skipped), FAILED from SENT or DELIVERED (a WhatsApp
    /// 131047 after the send was accepted) but never from READ (a message the customer read was
    /// delivered), and never out of FAILED. A delivery the platform has not accepted (PENDING,
    /// SENDING) has no platform id yet, so no webhook names it; the worker alone moves it. The same
    /// rule as conversation-service's for its messages, so GetDelivery and ListMessages agree.
    func canMove(to next: Self) -> Bool {
        switch (self, next) {
        case (.sent, .delivered), (.sent, .read), (.sent, .failed), (.delivered, .read), (.delivered, .failed):
            true
        default:
            false
        }
    }
}

/// Why a delivery failed, in the words `failure_reason` stores (`inbox.v1.FailureReason`, lower case).
enum DeliveryFailureReason: String, Sendable, Hashable, CaseIterable {
    case outsideWindow = "outside_window"
    case rateLimited = "rate_limited"
    case tokenInvalid = "token_invalid"
    case recipientUnavailable = "recipient_unavailable"
    case optedOut = "opted_out"
    case invalidRequest = "invalid_request"
    case platformError = "platform_error"
    case retriesExhausted = "retries_exhausted"
    /// The request reached the platform but its answer was lost; final where the platform has no
    /// idempotency of its own (``PlatformIdempotency``).
    case maybeSent = "maybe_sent"
    case channelDisconnected = "channel_disconnected"

    /// The delivery vocabulary's reason for a send outcome's reason.
    init(_ reason: OutboundFailureReason) {
        switch reason {
        case .outsideWindow: self = .outsideWindow
        case .rateLimited: self = .rateLimited
        case .tokenInvalid: self = .tokenInvalid
        case .recipientUnavailable: self = .recipientUnavailable
        case .recipientOptedOut: self = .optedOut
        case .maybeSent: self = .maybeSent
        // A transient reason is only final after the tries (RETRIES_EXHAUSTED, decided by the
        // worker); anything else the platform refused is its error.
        case .transient, .other: self = .platformError
        }
    }
}

/// One row of `gateway.outbound_deliveries`, as GetDelivery shows it.
struct OutboundDelivery: Sendable, Hashable {
    var id: UUID
    var organizationID: String
    var channelID: UUID
    /// Conversation-service's message id: statuses are reported against it.
    var messageID: String
    var idempotencyKey: String
    var state: OutboundDeliveryState
    var platformMessageID: String?
    var failureReason: DeliveryFailureReason?
    var failureDetail: String?
    /// Sends made so far.
    var attempts: Int
    var nextAttemptAt: Date
    var createdAt: Date
    var updatedAt: Date
}

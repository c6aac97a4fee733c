import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

// Proto <-> domain mapping of outbound deliveries and the statuses reported for them, and nowhere else.

extension OutboundDelivery {
    var proto: Inbox_V1_Delivery {
        .with {
            $0.id = self.id.text
            $0.organizationID = self.organizationID
            $0.channelID = self.channelID.text
            $0.messageID = self.messageID
            $0.idempotencyKey = self.idempotencyKey
            $0.state = self.state.proto
            $0.platformMessageID = self.platformMessageID ?? ""
            if let reason = self.failureReason { $0.failureReason = reason.proto }
            $0.failureDetail = self.failureDetail ?? ""
            $0.attempts = Int32(clamping: self.attempts)
            // Only a delivery still waiting has a next attempt.
            if self.state == .pending { $0.nextAttemptAt = Google_Protobuf_Timestamp(date: self.nextAttemptAt) }
            $0.createdAt = Google_Protobuf_Timestamp(date: self.createdAt)
            $0.updatedAt = Google_Protobuf_Timestamp(date: self.updatedAt)
        }
    }
}

extension OutboundDeliveryState {
    /// SENDING is still PENDING to the outside: the platform has not answered yet.
    var proto: Inbox_V1_DeliveryState {
        switch self {
        case .pending, .sending: .pending
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        case .failed: .failed
        }
    }
}

extension DeliveryFailureReason {
    var proto: Inbox_V1_FailureReason {
        switch self {
        case .outsideWindow: .outsideWindow
        case .rateLimited: .rateLimited
        case .tokenInvalid: .tokenInvalid
        case .recipientUnavailable: .recipientUnavailable
        case .optedOut: .optedOut
        case .invalidRequest: .invalidRequest
        case .platformError: .platformError
        case .retriesExhausted: .retriesExhausted
        case .maybeSent: .maybeSent
        case .channelDisconnected: .channelDisconnected
        }
    }
}

extension QueuedDeliveryStatus {
    /// The update RecordDeliveryStatus applies: by our message id, with the platform's id (which
    /// also finds the message when an echo of this send was recorded first) and the thread the
    /// conversation moved to, if it did.
    var proto: Inbox_V1_DeliveryStatusUpdate {
        .with {
            $0.organizationID = self.organizationID
            $0.messageID = self.messageID
            $0.channelID = self.channelID.text
            $0.platformMessageID = self.platformMessageID ?? ""
            $0.state = self.state.proto
            if self.state == .failed {
                $0.failureReason = (self.failureReason ?? .platformError).proto
                $0.failureDetail = self.failureDetail ?? ""
            }
            $0.occurredAt = Google_Protobuf_Timestamp(date: self.occurredAt)
            $0.deliveryID = self.deliveryID.text
            $0.movedToThreadKey = self.movedToThreadKey ?? ""
        }
    }
}

extension DeliveryFailureReason {
    /// The reason `proto` names; nil for UNSPECIFIED and for a value this build does not know.
    init?(proto: Inbox_V1_FailureReason) {
        switch proto {
        case .outsideWindow: self = .outsideWindow
        case .rateLimited: self = .rateLimited
        case .tokenInvalid: self = .tokenInvalid
        case .recipientUnavailable: self = .recipientUnavailable
        case .optedOut: self = .optedOut
        case .invalidRequest: self = .invalidRequest
        case .platformError: self = .platformError
        case .retriesExhausted: self = .retriesExhausted
        case .maybeSent: self = .maybeSent
        case .channelDisconnected: self = .channelDisconnected
        case .unspecified, .UNRECOGNIZED: return nil
        }
    }
}

extension ReportedDeliveryStatus {
    /// A status webhook's update as the relay hands it to conversation-service
    /// (InboundEvent+Proto.swift built it), for the delivery of `channelID` with its platform
    /// message id; nil when it names no message (a watermark) or reports nothing a delivery with a
    /// platform id does not know (PENDING, SENT). A failure without a reason we can name is
    /// PLATFORM_ERROR, as conversation-service stores it.
    init?(_ update: Inbox_V1_DeliveryStatusUpdate, organizationID: String, channelID: UUID) {
        guard !update.platformMessageID.isEmpty else { return nil }
        let state: OutboundDeliveryState
        switch update.state {
        case .delivered: state = .delivered
        case .read: state = .read
        case .failed: state = .failed
        case .unspecified, .pending, .sent, .UNRECOGNIZED: return nil
        }
        var reason: DeliveryFailureReason?
        var detail: String?
        if state == .failed {
            reason = DeliveryFailureReason(proto: update.failureReason) ?? .platformError
            detail = update.failureDetail.isEmpty ? nil : String(update.failureDetail.prefix(1000))
        }
        self.init(
            organizationID: organizationID, channelID: channelID, platformMessageID: update.platformMessageID,
            state: state, failureReason: reason, failureDetail: detail)
    }
}

import InboxAPI
import InboxKit

/// The words conversation-service stores for the v1 enums (text columns, so a row reads plainly
/// in psql), and the mapping both ways. A stored word the mapping does not know reads as the
/// enum's UNSPECIFIED value rather than failing a whole page.
enum StoredStatus: String, Sendable, CaseIterable {
    case open, pending, resolved

    init(proto: Inbox_V1_ConversationStatus, field: String) throws(DomainError) {
        switch proto {
        case .open: self = .open
        case .pending: self = .pending
        case .resolved: self = .resolved
        default: throw .invalidArgument("\(field) must be OPEN, PENDING or RESOLVED", field: field)
        }
    }

    var proto: Inbox_V1_ConversationStatus {
        switch self {
        case .open: .open
        case .pending: .pending
        case .resolved: .resolved
        }
    }
}

enum StoredDirection: String, Sendable {
    case inbound, outbound, note

    var proto: Inbox_V1_MessageDirection {
        switch self {
        case .inbound: .inbound
        case .outbound: .outbound
        case .note: .note
        }
    }
}

/// Delivery states in their only allowed order: a state moves forward, FAILED is final.
enum StoredDeliveryState: String, Sendable, Comparable {
    case pending, sent, delivered, read, failed

    init?(proto: Inbox_V1_DeliveryState) {
        switch proto {
        case .pending: self = .pending
        case .sent: self = .sent
        case .delivered: self = .delivered
        case .read: self = .read
        case .failed: self = .failed
        default: return nil
        }
    }

    var proto: Inbox_V1_DeliveryState {
        switch self {
        case .pending: .pending
        case .sent: .sent
        case .delivered: .delivered
        case .read: .read
        case .failed: .failed
        }
    }

    var rank: Int {
        switch self {
        case .pending: 0
        case .sent: 1
        case .delivered: 2
        case .read: 3
        case .failed: 4
        }
    }

    static func < (lhs: Self, rhs: Self) -> Bool { lhs.rank < rhs.rank }

    /// Whether a message in `self` may move to `next`: forward only, never out of FAILED, and
    /// FAILED from any state but READ (a message the customer read was delivered).
    func canMove(to next: Self) -> Bool {
        switch (self, next) {
        case (.failed, _): false
        case (.read, .failed): false
        case (_, .failed): true
        default: next > self
        }
    }
}

enum StoredHiddenReason: String, Sendable {
    case videoAttachment = "video_attachment"
    case multipleImages = "multiple_images"
    case unspecified

    init(proto: Inbox_V1_HiddenReason) {
        switch proto {
        case .videoAttachment: self = .videoAttachment
        case .multipleImages: self = .multipleImages
        default: self = .unspecified
        }
    }

    var proto: Inbox_V1_HiddenReason {
        switch self {
        case .videoAttachment: .videoAttachment
        case .multipleImages: .multipleImages
        case .unspecified: .unspecified
        }
    }
}

enum StoredFailureReason: String, Sendable, CaseIterable {
    case outsideWindow = "outside_window"
    case rateLimited = "rate_limited"
    case tokenInvalid = "token_invalid"
    case recipientUnavailable = "recipient_unavailable"
    case optedOut = "opted_out"
    case invalidRequest = "invalid_request"
    case platformError = "platform_error"
    case retriesExhausted = "retries_exhausted"
    case maybeSent = "maybe_sent"
    case channelDisconnected = "channel_disconnected"

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
        default: return nil
        }
    }

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

enum StoredSendKind: String, Sendable {
    case directMessage = "direct_message"
    case publicReply = "public_reply"
    case privateReply = "private_reply"
    case template

    init?(proto: Inbox_V1_SendKind) {
        switch proto {
        case .directMessage: self = .directMessage
        case .publicReply: self = .publicReply
        case .privateReply: self = .privateReply
        case .template: self = .template
        default: return nil
        }
    }

    var proto: Inbox_V1_SendKind {
        switch self {
        case .directMessage: .directMessage
        case .publicReply: .publicReply
        case .privateReply: .privateReply
        case .template: .template
        }
    }
}

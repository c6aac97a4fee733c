public import struct Foundation.Date

/// What the platform reports about one of OUR outbound messages.
public struct DeliveryStatusUpdate: Sendable, Hashable {
    /// Where the status stands, in one vocabulary; apply monotonically (`failed` is terminal).
    public enum State: String, Sendable, Hashable {
        /// Accepted, queued or being sent, not yet with the carrier.
        case pending
        case sent
        case delivered
        case read
        case failed
    }

    /// Our message's platform id; nil for Messenger reads, which carry only a watermark.
    public var messageID: String?
    public var state: State
    /// The platform's own word for the status (`undelivered`, `played`, ...).
    public var platformStatus: String
    /// Messenger delivery/read watermark: every message sent before it has that state.
    public var watermark: Date?
    public var errorCode: String?
    public var errorText: String?

    public init(
        messageID: String?, state: State, platformStatus: String, watermark: Date? = nil, errorCode: String? = nil,
        errorText: String? = nil
    ) {
        self.messageID = messageID
        self.state = state
        self.platformStatus = platformStatus
        self.watermark = watermark
        self.errorCode = errorCode
        self.errorText = errorText
    }
}

/// A customer opting out of messages or back in (Twilio `STOP`/`START` keywords).
public struct OptOutChange: Sendable, Hashable {
    public var optedOut: Bool
    /// The keyword as the customer typed it, trimmed and upper-cased.
    public var keyword: String

    public init(optedOut: Bool, keyword: String) {
        self.optedOut = optedOut
        self.keyword = keyword
    }
}

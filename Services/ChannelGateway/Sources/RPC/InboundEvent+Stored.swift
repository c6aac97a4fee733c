import InboxAPI
import InboxKit
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension StoredInboundState {
    var proto: Inbox_V1_InboundEventState {
        switch self {
        case .pending: .pending
        case .delivered: .delivered
        case .held: .held
        case .deadLettered: .deadLettered
        case .rejected: .rejected
        case .echo: .echo
        case .unparsed: .unparsed
        case .unrouted: .unrouted
        case .awaitingContent: .awaitingContent
        }
    }

    init(proto: Inbox_V1_InboundEventState, field: String) throws(DomainError) {
        guard let state = Self.allCases.first(where: { $0.proto == proto }) else {
            throw .invalidArgument("\(field) must be a known state", field: field)
        }
        self = state
    }
}

extension StoredInboundRow {
    /// The stored event with the row's organisation, channel and state; an UNPARSED entry's raw
    /// text is its `text` (it has no other content), the parser's error its `last_error`.
    var proto: Inbox_V1_StoredInboundEvent {
        var event = (try? Inbox_V1_InboundEvent(serializedBytes: self.event)) ?? Inbox_V1_InboundEvent()
        event.id = self.id.text
        event.organizationID = self.organizationID
        event.channelID = self.channelID?.text ?? ""
        if self.state == .unparsed || (self.state == .unrouted && !self.rawText.isEmpty) { event.text = self.rawText }
        return .with {
            $0.event = event
            $0.state = self.state.proto
            $0.attempts = Int32(clamping: self.attempts)
            $0.lastError = self.lastError
            $0.storedAt = Google_Protobuf_Timestamp(date: self.receivedAt)
        }
    }
}

/// ListInboundEvents' cursor: the last row's receipt time (µs) and id.
enum InboundPageToken {
    static func encode(_ row: StoredInboundRow) -> String {
        let micros = Int64((row.receivedAt.timeIntervalSince1970 * 1_000_000).rounded())
        return PageToken.encode("inbound", "\(micros) \(row.id.text)")
    }

    static func decode(_ token: String) throws(DomainError) -> (Date, UUID)? {
        guard let cursor = try PageToken.decode("inbound", token) else { return nil }
        let parts = cursor.split(separator: " ")
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else {
            throw PageToken.invalid
        }
        return (Date(timeIntervalSince1970: TimeInterval(micros) / 1_000_000), id)
    }
}

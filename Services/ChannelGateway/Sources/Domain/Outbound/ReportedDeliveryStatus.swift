#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// What a platform's status webhook reported about one of our sent messages, named by the id the
/// platform gave it (WhatsApp `statuses[]`, Twilio status callbacks, Messenger and Instagram
/// deliveries and reads that list their `mid`s): what moves the gateway's own delivery row
/// (``OutboundDelivery``) forward, so GetDelivery tells what the platform told.
///
/// Only DELIVERED, READ and FAILED: SENT (or a platform's "accepted", "queued") says nothing a
/// delivery with a platform id does not know already. A Messenger read or delivery that carries
/// only a watermark names a thread, not a message: the gateway's rows do not keep the recipient,
/// so it moves conversation-service's messages of that thread only.
struct ReportedDeliveryStatus: Sendable, Hashable {
    var organizationID: String
    var channelID: UUID
    var platformMessageID: String
    var state: OutboundDeliveryState
    /// For FAILED: the platform's failure in our vocabulary (PLATFORM_ERROR when its code is not
    /// one whose meaning is certain) and its code and text.
    var failureReason: DeliveryFailureReason?
    var failureDetail: String?

    /// The delivery a status is about: organisation, channel and the platform's message id.
    struct Subject: Sendable, Hashable {
        var organizationID: String
        var channelID: UUID
        var platformMessageID: String
    }

    var subject: Subject {
        Subject(
            organizationID: self.organizationID, channelID: self.channelID, platformMessageID: self.platformMessageID)
    }

    /// One status per message, in the order each message first appears: a batch's statuses of a
    /// message applied one after the other from SENT, forward only (``OutboundDeliveryState/canMove(to:)``).
    /// Applying the result to a stored row, forward only, leaves the row as applying the statuses
    /// one by one would: from SENT or DELIVERED the first status already brings both to the same
    /// state, and from READ or FAILED nothing moves either way. So one statement serves a batch.
    static func folded(_ statuses: [ReportedDeliveryStatus]) -> [ReportedDeliveryStatus] {
        var order: [Subject] = []
        var latest: [Subject: ReportedDeliveryStatus] = [:]
        for status in statuses {
            let subject = status.subject
            let current = latest[subject]?.state ?? .sent
            guard current.canMove(to: status.state) else { continue }
            if latest[subject] == nil { order.append(subject) }
            latest[subject] = status
        }
        return order.compactMap { latest[$0] }
    }
}

import GRPCCore
import InboxAPI
import InboxKit
import InboxRules
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ConversationRPC {
    /// The gateway's relay hands over normalised events (a service token; at most 500). Each event
    /// is checked first: a malformed one is FAILED (not retryable) with the field it lacks, and the
    /// others are applied, all in one transaction; one result per event, in order.
    func ingestEvents(request: Inbox_V1_IngestEventsRequest, context: ServerContext) async throws
        -> Inbox_V1_IngestEventsResponse
    {
        try Self.serviceCaller()
        try BatchLimit.check(request.events.count, field: "events")
        var results = request.events.map { event in Inbox_V1_IngestResult.with { $0.eventID = event.id } }
        var items: [IngestItem] = []
        var positions: [Int] = []
        for (position, event) in request.events.enumerated() {
            do throws(DomainError) {
                items.append(try Self.ingestItem(event))
                positions.append(position)
            } catch {
                results[position].outcome = .failed
                results[position].error = error.itemStatus
            }
        }
        let targets = await self.responseTargets.targets(for: Set(items.map(\.event.organizationID)))
        let report = try await self.repository.ingest(items, responseTargets: targets, now: self.now())
        for (position, applied) in zip(positions, report.results) {
            results[position].outcome = applied.outcome
            results[position].conversationID = applied.conversationID?.text ?? ""
            results[position].messageID = applied.messageID?.text ?? ""
            if let failure = applied.failure { results[position].error = failure.itemStatus }
            results[position].retryable = applied.retryable
        }
        if report.followUps > 0 { self.signals.followUps.wake() }
        return .with { $0.results = results }
    }

    /// What every event needs (organisation, channel, platform, type, platform time) and what its
    /// type needs (the platform message, the thread, the author, the change it reports).
    static func ingestItem(_ event: Inbox_V1_InboundEvent) throws(DomainError) -> IngestItem {
        try Self.requireField(event.organizationID, "organization_id")
        try Self.requireField(event.channelID, "channel_id")
        let platform = try ReplyPlatform(proto: event.platform, field: "platform")
        guard let occurredAt = event.occurredAt.dateIfSet else {
            throw .invalidArgument("occurred_at is required (the platform's time of the event)", field: "occurred_at")
        }
        var kind = ConversationKind.directMessage
        switch event.type {
        case .message, .messageEdited, .messageDeleted:
            try Self.requireField(event.platformMessageID, "platform_message_id")
            try Self.requireField(event.threadKey, "thread_key")
            kind = try ConversationKind(proto: event.kind, field: "kind")
            if event.type == .message, !event.flags.isEcho {
                try Self.requireField(event.author.platformUserID, "author.platform_user_id")
            }
        case .contactAction:
            try Self.requireField(event.threadKey, "thread_key")
            try Self.requireField(event.author.platformUserID, "author.platform_user_id")
            if event.kind != .unspecified { kind = try ConversationKind(proto: event.kind, field: "kind") }
        case .deliveryStatus:
            try Self.checkDeliveryStatus(event)
        case .optOut:
            guard event.hasOptOut else {
                throw .invalidArgument("opt_out is required for an opt-out event", field: "opt_out")
            }
            try Self.requireField(event.author.platformUserID, "author.platform_user_id")
        case .reaction:
            try Self.requireField(event.platformMessageID, "platform_message_id")
            try Self.requireField(event.author.platformUserID, "author.platform_user_id")
            guard event.hasReaction, event.reaction.removed || !event.reaction.reaction.isEmpty else {
                throw .invalidArgument("reaction is required for a reaction event", field: "reaction")
            }
        case .visibilityChanged:
            try Self.requireField(event.platformMessageID, "platform_message_id")
            guard [.public, .hidden].contains(event.visibilityChange.visibility) else {
                throw .invalidArgument(
                    "visibility_change.visibility must be PUBLIC or HIDDEN", field: "visibility_change.visibility")
            }
        case .unspecified, .UNRECOGNIZED:
            throw .invalidArgument("type must name an event type", field: "type")
        }
        return IngestItem(event: event, platform: platform, kind: kind, occurredAt: occurredAt)
    }

    private static func requireField(_ value: String, _ field: String) throws(DomainError) {
        guard value.isEmpty else { return }
        throw .invalidArgument("\(field) is required", field: field)
    }

    /// A delivery status names a state and a message: ours by id, the platform's by id (the event's
    /// own platform_message_id counts), or every message of a thread up to a watermark.
    private static func checkDeliveryStatus(_ event: Inbox_V1_InboundEvent) throws(DomainError) {
        guard event.hasDeliveryStatus else {
            throw .invalidArgument("delivery_status is required for a delivery status event", field: "delivery_status")
        }
        let update = event.deliveryStatus
        guard StoredDeliveryState(proto: update.state) != nil else {
            throw .invalidArgument("delivery_status.state must name a delivery state", field: "delivery_status.state")
        }
        if !update.messageID.isEmpty, UUID(uuidString: update.messageID) == nil {
            throw .invalidArgument("delivery_status.message_id is not an id", field: "delivery_status.message_id")
        }
        if update.hasWatermark {
            guard !update.threadKey.isEmpty || !event.threadKey.isEmpty else {
                throw .invalidArgument(
                    "delivery_status.thread_key is required with a watermark", field: "delivery_status.thread_key")
            }
        } else if update.messageID.isEmpty, update.platformMessageID.isEmpty, event.platformMessageID.isEmpty {
            throw .invalidArgument(
                "delivery_status names no message: set message_id or platform_message_id",
                field: "delivery_status.platform_message_id")
        }
    }

}

import Crypto
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

/// What the delivery RPCs work with: the queue, this replica's worker's wake-up, and where the
/// platforms call the gateway (Twilio's status callback).
struct OutboundOperations: Sendable {
    let deliveries: DeliveryRepository
    /// Wakes this replica's ``DeliveryWorker`` at once; the others wake through LISTEN/NOTIFY.
    let signal: WorkSignal
    /// ``GatewayConfiguration/publicBaseURL``.
    let publicBaseURL: String
    /// ``GatewayConfiguration/xOAuthClient``: whether an X channel's expired token can be renewed
    /// (GetChannelHealth).
    var xOAuthClient: XOAuthClient? = nil
}

/// DeliverMessage and GetDelivery (DESIGN.md §2 "Reply"): conversation-service queues a reply, the
/// ``DeliveryWorker`` sends it, the ``DeliveryStatusOutbox`` reports its state back.
extension GatewayRPC {
    /// The longest ids and keys taken (platform ids are far shorter; a thread key holds a few ids).
    static let maxIDLength = 512
    static let maxThreadKeyLength = 1024

    /// Queues one reply for service callers (conversation-service), idempotently: the key comes
    /// first, so a repeated call returns the first call's delivery — whatever happened to the
    /// channel since — and never queues a second; the same key with another request is
    /// ALREADY_EXISTS (IDEMPOTENCY_KEY_REUSED). A new delivery is checked whole before it is queued:
    /// each field (INVALID_ARGUMENT naming it), the channel (NOT_FOUND outside the organisation,
    /// FAILED_PRECONDITION CHANNEL_DISCONNECTED or CHANNEL_TOKEN_INVALID), and that its platform can
    /// send it (``Inbox_V1_DeliverMessageRequest/outboundMessage(on:publicBaseURL:)``).
    func deliverMessage(request: Inbox_V1_DeliverMessageRequest, context: ServerContext) async throws
        -> Inbox_V1_Delivery
    {
        let caller = try Caller.authenticated()
        try caller.require(.service)
        let organization = try caller.organization(requested: request.organizationID)
        let key = try IdempotencyKey.required(request.idempotencyKey)
        var stored = request
        stored.organizationID = organization
        var unkeyed = stored
        unkeyed.idempotencyKey = ""
        let unkeyedBytes: [UInt8] = try unkeyed.serializedBytes()
        let fingerprint = Data(SHA256.hash(data: unkeyedBytes)).base64EncodedString()
        let deliveries = self.outbound.deliveries
        if let existing = try await deliveries.delivery(idempotencyKey: key, organizationID: organization) {
            guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
            return existing.delivery.proto
        }

        let channelID = try Self.channelID(request.channelID)
        try Self.checkDeliveryFields(request)
        guard let channel = try await self.channels.channel(channelID, organizationID: organization) else {
            throw DomainError.notFound("channel \(request.channelID) not found", resource: "channel")
        }
        if request.platform != .unspecified, request.platform != channel.platform.proto {
            throw DomainError.invalidArgument(
                "platform does not match channel \(request.channelID), a \(channel.platform.rawValue) channel",
                field: "platform")
        }
        switch channel.status {
        case .active:
            break
        case .disconnected, .subscriptionRevoked:
            let state = channel.status == .disconnected ? "is disconnected" : "had its access revoked by the account"
            throw DomainError.failedPrecondition(
                "channel \(request.channelID) \(state); connect it again", reason: .channelDisconnected)
        case .tokenInvalid:
            throw DomainError.failedPrecondition(
                "the access token of channel \(request.channelID) is invalid or expired; rotate its credentials",
                reason: .channelTokenInvalid)
        }
        _ = try request.outboundMessage(on: channel, publicBaseURL: self.outbound.publicBaseURL)

        let new = NewDelivery(
            id: UUID(), organizationID: organization, channelID: channel.id, platform: channel.platform,
            messageID: request.messageID, conversationID: request.conversationID, idempotencyKey: key,
            fingerprint: fingerprint, request: try stored.serializedBytes())
        if let inserted = try await deliveries.insert(new, now: self.now()) {
            self.outbound.signal.wake()
            return inserted.proto
        }
        // Another call with this key committed in between.
        guard let existing = try await deliveries.delivery(idempotencyKey: key, organizationID: organization) else {
            throw DomainError.unavailable("the delivery could not be stored; try again")
        }
        guard existing.fingerprint == fingerprint else { throw DomainError.idempotencyKeyReused() }
        return existing.delivery.proto
    }

    /// A delivery of the caller's organisation (admins and agents; another organisation's is
    /// NOT_FOUND, as every resource). The request names no organisation, so service and operator
    /// tokens, which carry none, are refused.
    func getDelivery(request: Inbox_V1_GetDeliveryRequest, context: ServerContext) async throws -> Inbox_V1_Delivery {
        let caller = try Caller.authenticated()
        try caller.require(.admin, .agent)
        let organization = try caller.organization(requested: "")
        guard let id = UUID(uuidString: request.deliveryID) else {
            throw DomainError.invalidArgument("delivery_id is not a delivery id", field: "delivery_id")
        }
        guard let delivery = try await self.outbound.deliveries.delivery(id, organizationID: organization) else {
            throw DomainError.notFound("delivery \(request.deliveryID) not found", resource: "delivery")
        }
        return delivery.proto
    }

    /// The fields whose form does not depend on the channel; what each platform needs is
    /// checked by the mapping to its send.
    static func checkDeliveryFields(_ request: Inbox_V1_DeliverMessageRequest) throws(DomainError) {
        guard UUID(uuidString: request.messageID) != nil else {
            throw .invalidArgument(
                "message_id must be conversation-service's message id (a UUID)", field: "message_id")
        }
        guard request.conversationID.count <= 128 else {
            throw .invalidArgument("conversation_id must be at most 128 characters", field: "conversation_id")
        }
        if case .UNRECOGNIZED = request.sendKind {
            throw .invalidArgument("send_kind is not a send kind", field: "send_kind")
        }
        if case .UNRECOGNIZED = request.conversationKind {
            throw .invalidArgument("conversation_kind is not a message kind", field: "conversation_kind")
        }
        if case .UNRECOGNIZED = request.platform {
            throw .invalidArgument("platform is not a platform", field: "platform")
        }
        let ids = [
            ("recipient_id", request.recipientID), ("reply_to_platform_id", request.replyToPlatformID),
            ("parent_post_id", request.parentPostID), ("parent_comment_id", request.parentCommentID),
            ("business_connection_id", request.businessConnectionID),
        ]
        for (field, value) in ids where value.count > Self.maxIDLength {
            throw .invalidArgument("\(field) must be at most \(Self.maxIDLength) characters", field: field)
        }
        guard request.threadKey.count <= Self.maxThreadKeyLength else {
            throw .invalidArgument(
                "thread_key must be at most \(Self.maxThreadKeyLength) characters", field: "thread_key")
        }
        // The same form conversation-service's SendReply checks; the platform's mapping checks it
        // again for a template send.
        if request.hasTemplate { try TemplateRules.check(request.template) }
    }
}

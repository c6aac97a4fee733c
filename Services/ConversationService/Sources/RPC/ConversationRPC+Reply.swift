import GRPCCore
import InboxAPI
import InboxKit
import InboxRules
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

extension ConversationRPC {
    /// An agent's (or admin's) reply (DESIGN.md §2 "Reply"): checked here, decided by policy-service,
    /// stored PENDING with its delivery hand-off in one transaction; the ``DeliveryOutbox`` hands it
    /// to the gateway after the commit. The idempotency key comes first: a retry returns the first
    /// call's message without asking policy again or sending twice.
    func sendReply(request: Inbox_V1_SendReplyRequest, context: ServerContext) async throws -> Inbox_V1_Message {
        let (caller, organizationID) = try Self.inboxCaller()
        let key = try IdempotencyKey.required(request.idempotencyKey)
        _ = try Self.id(request.conversationID, field: "conversation_id")
        var unkeyed = request
        unkeyed.idempotencyKey = ""
        let fingerprint = try IdempotencyKey.fingerprint(unkeyed)
        if let existing = try await self.repository.storedReply(
            idempotencyKey: key, organizationID: organizationID, on: self.repository.client)
        {
            guard existing.direction == .outbound, existing.idempotencyFingerprint == fingerprint else {
                throw DomainError.idempotencyKeyReused()
            }
            return existing.proto
        }

        let conversation = try await self.conversation(request.conversationID, organizationID: organizationID)
        let content = try Self.replyContent(request, conversation: conversation)
        let replyTo = try await self.replyTarget(request.replyToMessageID, in: conversation)
        let decision = try await self.askPolicy(conversation, sendKind: content.sendKind, template: content.template)
        let tag: Inbox_V1_MessageTag
        switch decision.decision {
        case .allowed:
            tag = .unspecified
        case .needsHumanAgentTag where request.allowHumanAgentTag:
            tag = .humanAgent
        default:
            throw Self.replyRefused(decision)
        }

        let reply = OutboundReply(
            conversation: conversation, text: content.text, template: content.template,
            attachments: request.attachments, sendKind: content.sendKind, tag: tag, replyToMessageID: replyTo,
            agentID: caller.agentID, automatic: false, idempotencyKey: key, fingerprint: fingerprint)
        let now = self.now()
        let stored = try await self.repository.transaction { connection in
            var changes = ChangeSet()
            let stored = try await self.repository.storeReply(reply, on: connection, changes: &changes, now: now)
            try await self.repository.record(changes, on: connection, now: now)
            return stored
        }
        if stored.created {
            self.signals.deliveries.wake()
            self.signals.followUps.wake()
        }
        return stored.message.proto
    }

    /// Delivery states from the gateway (its send worker and the platforms' status webhooks):
    /// one transaction for the batch, one result per update in order; a malformed update is
    /// INVALID and does not fail the others.
    func recordDeliveryStatus(request: Inbox_V1_RecordDeliveryStatusRequest, context: ServerContext) async throws
        -> Inbox_V1_RecordDeliveryStatusResponse
    {
        try Self.serviceCaller()
        try BatchLimit.check(request.updates.count, field: "updates")
        let now = self.now()
        let results = try await self.repository.transaction { connection in
            var changes = ChangeSet()
            var results: [Inbox_V1_DeliveryStatusResult] = []
            for update in request.updates {
                let result = try await self.deliveryStatus(update, on: connection, changes: &changes, now: now)
                results.append(result)
            }
            try await self.repository.record(changes, on: connection, now: now)
            return results
        }
        return .with { $0.results = results }
    }

    // MARK: SendReply's checks

    /// What a reply sends, checked against the conversation's platform.
    struct ReplyContent: Sendable {
        var text: String
        var template: Inbox_V1_Template?
        var sendKind: ReplySendKind
    }

    /// Exactly one of a text (trimmed, not empty, within the platform's length) or a template (its
    /// form as ``TemplateRules`` checks it, sent as TEMPLATE with its named and header parameters
    /// as given); at most ``ReplyLimits/maxAttachments`` attachments.
    static func replyContent(_ request: Inbox_V1_SendReplyRequest, conversation: ConversationRecord)
        throws(DomainError) -> ReplyContent
    {
        var requested: ReplySendKind?
        if request.sendKind != .unspecified {
            guard let kind = ReplySendKind(proto: request.sendKind) else {
                throw .invalidArgument("send_kind is not a send kind", field: "send_kind")
            }
            requested = kind
        }
        let content: ReplyContent
        switch request.content {
        case .text(let raw)?:
            let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { throw .invalidArgument("text is empty", field: "text") }
            guard requested != .template else {
                throw .invalidArgument("send_kind TEMPLATE sends a template, not a text", field: "send_kind")
            }
            let sendKind = requested ?? .defaultFor(conversation.kind)
            let limit = ReplyLimits.maxTextLength(platform: conversation.platform, sendKind: sendKind)
            let length = ReplyLimits.textLength(text, platform: conversation.platform)
            guard length <= limit else {
                let limited = ReplyLimits.describe(platform: conversation.platform, sendKind: sendKind)
                let unit = conversation.platform == .instagram ? "bytes" : "characters"
                throw .invalidArgument(
                    "text is too long: \(limited) take at most \(limit) \(unit), this one has \(length)",
                    field: "text", metadata: ["limit": "\(limit)", "size": "\(length)"])
            }
            content = ReplyContent(text: text, template: nil, sendKind: sendKind)
        case .template(let template)?:
            // Its form (name, language, positional or named body variables, header media), as the
            // gateway checks it again: a template Meta would refuse for its form is never stored.
            try TemplateRules.check(template)
            guard requested == nil || requested == .template else {
                throw .invalidArgument("a template is sent with send_kind TEMPLATE", field: "send_kind")
            }
            content = ReplyContent(text: "", template: template, sendKind: .template)
        case nil:
            throw .invalidArgument("text or template is required", field: "text")
        }
        guard request.attachments.count <= ReplyLimits.maxAttachments else {
            throw .invalidArgument(
                "attachments has \(request.attachments.count) items; at most \(ReplyLimits.maxAttachments) are allowed",
                field: "attachments")
        }
        return content
    }

    /// The message a reply answers: empty for none; otherwise a customer or outbound message of
    /// this conversation (NOT_FOUND otherwise, like a message of another organisation).
    private func replyTarget(_ text: String, in conversation: ConversationRecord) async throws -> UUID? {
        guard !text.isEmpty else { return nil }
        let id = try Self.id(text, field: "reply_to_message_id")
        guard
            let message = try await self.repository.message(
                id, organizationID: conversation.organizationID, on: self.repository.client),
            message.conversationID == conversation.id, message.direction != .note
        else {
            throw DomainError.notFound("message \(text) is not a message of this conversation", resource: "message")
        }
        return id
    }

    /// policy-service's decision for a human-written reply of `sendKind`, from the facts the
    /// conversation row holds. Unreachable: UNAVAILABLE, nothing stored, so the client retries
    /// with its key.
    private func askPolicy(_ conversation: ConversationRecord, sendKind: ReplySendKind, template: Inbox_V1_Template?)
        async throws -> Inbox_V1_CheckReplyResponse
    {
        let facts = conversation.replyFacts(sendKind: sendKind, humanAuthored: true)
        let request = Inbox_V1_CheckReplyRequest.with {
            $0.organizationID = conversation.organizationID
            $0.conversationID = conversation.id.text
            $0.channelID = conversation.channelID
            $0.platform = facts.platform.proto
            $0.conversationKind = facts.conversationKind.proto
            $0.sendKind = facts.sendKind.proto
            $0.humanAuthored = facts.humanAuthored
            if let at = facts.lastCustomerMessageAt { $0.lastCustomerMessageAt = .init(date: at) }
            if let at = facts.commentCreatedAt { $0.commentCreatedAt = .init(date: at) }
            $0.privateRepliesSent = Int32(clamping: facts.privateRepliesSent)
            $0.contactOptedOut = facts.contactOptedOut
            if let template { $0.template = template }
        }
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        do {
            return try await self.peers.policy.checkReply(request, options: options)
        } catch let error as RPCError {
            self.repository.logger.warning(
                "CheckReply failed", metadata: ["conversation": "\(conversation.id.text)", "error": "\(error)"])
            throw DomainError.unavailable("policy-service could not decide on the reply; retry with backoff")
        }
    }

    /// FAILED_PRECONDITION, reason REPLY_REFUSED, with policy's reason and the window's end as a
    /// `ReplyRefusal` (the same wire form the integration tests' refusing server shows clients).
    static func replyRefused(_ decision: Inbox_V1_CheckReplyResponse) -> DomainError {
        let message = decision.message.isEmpty ? "policy does not allow this reply now" : decision.message
        return DomainError.failedPrecondition(message, reason: .replyRefused).with(
            detail: Inbox_V1_ReplyRefusal.with {
                $0.reason = decision.reason
                $0.message = message
                if decision.hasWindowEndsAt { $0.windowEndsAt = decision.windowEndsAt }
                if decision.hasHumanAgentWindowEndsAt { $0.humanAgentWindowEndsAt = decision.humanAgentWindowEndsAt }
            })
    }

    // MARK: RecordDeliveryStatus's items

    /// One update's result; a malformed one is INVALID naming its field.
    private func deliveryStatus(
        _ update: Inbox_V1_DeliveryStatusUpdate, on connection: PostgresConnection, changes: inout ChangeSet,
        now: Date
    ) async throws -> Inbox_V1_DeliveryStatusResult {
        var result = Inbox_V1_DeliveryStatusResult.with { $0.messageID = update.messageID }
        do {
            guard !update.organizationID.isEmpty else {
                throw DomainError.invalidArgument("organization_id is required", field: "organization_id")
            }
            switch try await self.repository.applyDeliveryStatus(
                update, organizationID: update.organizationID, on: connection, changes: &changes, now: now)
            {
            case .applied(let messageID, let state, let count):
                result.outcome = .applied
                result.messageID = messageID.text
                result.state = state.proto
                result.messagesUpdated = Int32(clamping: count)
            case .stale(let messageID, let state):
                result.outcome = .stale
                result.messageID = messageID.text
                result.state = state.proto
            case .notFound:
                result.outcome = .notFound
            }
        } catch let error as DomainError where error.code == .invalidArgument {
            result.outcome = .invalid
            result.error = error.itemStatus
        }
        return result
    }

}

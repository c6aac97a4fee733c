import InboxAPI
import InboxKit
import InboxRules
import NIOCore
import PostgresNIO
import SwiftProtobuf

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A reply that policy allowed, ready to store: by SendReply (human-written) or by an automatic
/// reply rule (`automatic`, never tagged).
struct OutboundReply: Sendable {
    var conversation: ConversationRecord
    /// Empty for a template.
    var text: String
    var template: Inbox_V1_Template?
    var attachments: [Inbox_V1_Attachment]
    var sendKind: ReplySendKind
    /// HUMAN_AGENT only when policy required it for this human-written reply; ignored when
    /// `automatic`.
    var tag: Inbox_V1_MessageTag
    var replyToMessageID: UUID?
    var agentID: String?
    var automatic: Bool
    var idempotencyKey: String
    /// The request without its key (SendReply: the serialized request, base64): the same key with
    /// another fingerprint is a reuse.
    var fingerprint: String
}

/// What one delivery-status update did.
enum DeliveryStatusApplied: Sendable {
    /// The message (for a watermark: the newest of the `count` messages) moved forward to `state`.
    case applied(messageID: UUID, state: StoredDeliveryState, count: Int)
    /// The message already had `state`, this one or a later one (FAILED is final).
    case stale(messageID: UUID, state: StoredDeliveryState)
    /// No outbound message of the organisation has this id, platform id or thread.
    case notFound
}

/// A delivery-status update, checked: what it names and the state it reports.
struct DeliveryStatusTarget: Sendable {
    enum Subject: Sendable {
        /// Our message id; the platform id (when given) finds it if the id does not.
        case message(UUID, channelID: String, platformMessageID: String?)
        case platformMessage(channelID: String, platformMessageID: String)
        /// Every outbound message of the thread up to this platform time (Messenger, Instagram).
        case watermark(channelID: String, threadKey: String, at: Date)
    }

    var subject: Subject
    var state: StoredDeliveryState
    var failureReason: StoredFailureReason?
    var failureDetail: String?
    /// When the platform reported the state; the time of the report when it says nothing.
    var occurredAt: Date?
    /// The thread the platform moved the message's conversation to (a Telegram group upgraded to
    /// a supergroup), to re-target the conversation to.
    var movedToThreadKey: String?

    /// The longest thread key taken (the gateway's own bound).
    static let maxThreadKeyLength = 1024

    /// Refuses a malformed update with INVALID_ARGUMENT naming the field.
    init(_ update: Inbox_V1_DeliveryStatusUpdate) throws(DomainError) {
        guard let state = StoredDeliveryState(proto: update.state) else {
            throw .invalidArgument("state must be PENDING, SENT, DELIVERED, READ or FAILED", field: "state")
        }
        self.state = state
        if state == .failed {
            self.failureReason = StoredFailureReason(proto: update.failureReason) ?? .platformError
            self.failureDetail = update.failureDetail.isEmpty ? nil : String(update.failureDetail.prefix(1000))
        }
        self.occurredAt = update.occurredAt.dateIfSet
        if !update.movedToThreadKey.isEmpty {
            guard update.movedToThreadKey.count <= Self.maxThreadKeyLength else {
                throw .invalidArgument(
                    "moved_to_thread_key must be at most \(Self.maxThreadKeyLength) characters",
                    field: "moved_to_thread_key")
            }
            guard update.watermark.dateIfSet == nil else {
                throw .invalidArgument(
                    "moved_to_thread_key moves one message's conversation; a watermark names none",
                    field: "moved_to_thread_key")
            }
            self.movedToThreadKey = update.movedToThreadKey
        }
        let platformID = update.platformMessageID.isEmpty ? nil : update.platformMessageID
        if let watermark = update.watermark.dateIfSet {
            guard update.messageID.isEmpty, platformID == nil else {
                throw .invalidArgument(
                    "a watermark update names a thread, not a message: leave message_id and platform_message_id empty",
                    field: "watermark")
            }
            guard !update.threadKey.isEmpty else {
                throw .invalidArgument("thread_key is required with watermark", field: "thread_key")
            }
            guard !update.channelID.isEmpty else {
                throw .invalidArgument("channel_id is required with watermark", field: "channel_id")
            }
            guard state != .failed else {
                throw .invalidArgument("a watermark reports DELIVERED or READ, never FAILED", field: "state")
            }
            self.subject = .watermark(channelID: update.channelID, threadKey: update.threadKey, at: watermark)
        } else if !update.messageID.isEmpty {
            guard let id = UUID(uuidString: update.messageID) else {
                throw .invalidArgument("message_id is not a message id", field: "message_id")
            }
            self.subject = .message(id, channelID: update.channelID, platformMessageID: platformID)
        } else if let platformID {
            guard !update.channelID.isEmpty else {
                throw .invalidArgument("channel_id is required with platform_message_id", field: "channel_id")
            }
            self.subject = .platformMessage(channelID: update.channelID, platformMessageID: platformID)
        } else {
            throw .invalidArgument(
                "message_id, platform_message_id (with channel_id) or watermark (with thread_key) is required",
                field: "message_id")
        }
    }
}

extension ConversationRepository {
    // MARK: Replies

    /// Inserts the PENDING outbound message (or returns the existing one with this idempotency key,
    /// created: false), updates the conversation, queues the delivery hand-off and the activity
    /// follow-up, adds change-log items. Runs inside the caller's transaction, which must end with
    /// ``record(_:on:now:)``; after the commit the caller wakes `signals.deliveries` and
    /// `signals.followUps`.
    ///
    /// The conversation row is locked first, so replies to one conversation are stored one after
    /// the other. A concurrent request with the same key waits for the first one's commit and then
    /// finds its message (the unique index `messages_idempotency` arbitrates, without aborting this
    /// transaction); an existing message with another fingerprint is IDEMPOTENCY_KEY_REUSED.
    ///
    /// Automatic replies keep the SLA clock running: only a human-written reply sets
    /// `last_team_reply_at` and `first_response_at` and clears `waiting_since` (an acknowledgement
    /// is not an answer); an automatic one sets `last_automatic_reply_at`.
    func storeReply(_ reply: OutboundReply, on connection: PostgresConnection, changes: inout ChangeSet, now: Date)
        async throws -> (message: MessageRecord, created: Bool)
    {
        let organizationID = reply.conversation.organizationID
        guard
            let conversation = try await self.lockedConversation(
                reply.conversation.id, organizationID: organizationID, on: connection)
        else {
            throw DomainError.notFound(
                "conversation \(reply.conversation.id.text) does not exist", resource: "conversation")
        }
        let replyToPlatformID = try await self.replyToPlatformID(reply, conversation: conversation, on: connection)
        let author = Inbox_V1_Author.with { $0.platformUserID = conversation.accountPlatformID }
        let sendKind = Self.stored(reply.sendKind)
        let inserted = try await connection.query(
            """
            INSERT INTO messages (organization_id, id, conversation_id, channel_id, direction, author, agent_id, body,
                attachments, platform_time, received_at, content_at, delivery_state, idempotency_key,
                idempotency_fingerprint, automatic, send_kind, template, reply_to_message_id,
                reply_to_platform_message_id)
            VALUES (\(organizationID), \(UUID()), \(conversation.id), \(conversation.channelID),
                \(StoredDirection.outbound.rawValue), \(StoredJSON.author(author))::jsonb, \(reply.agentID),
                \(reply.text), \(StoredJSON.attachments(reply.attachments))::jsonb, \(now), \(now), \(now),
                \(StoredDeliveryState.pending.rawValue), \(reply.idempotencyKey), \(reply.fingerprint),
                \(reply.automatic), \(sendKind.rawValue), \(StoredJSON.template(reply.template))::jsonb,
                \(reply.replyToMessageID), \(replyToPlatformID))
            ON CONFLICT (organization_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
            RETURNING \(unescaped: MessageRecord.columns)
            """,
            logger: self.logger)
        var created: MessageRecord?
        for try await row in inserted { created = try MessageRecord(row) }
        guard let message = created else {
            guard
                let existing = try await self.storedReply(
                    idempotencyKey: reply.idempotencyKey, organizationID: organizationID, on: connection)
            else {
                throw DomainError.unavailable("another request with this idempotency key is being stored; retry")
            }
            guard existing.direction == .outbound, existing.idempotencyFingerprint == reply.fingerprint else {
                throw DomainError.idempotencyKeyReused()
            }
            return (existing, false)
        }

        changes.noteBefore(conversation.proto(now: now), id: conversation.id)
        let preview = reply.template.map { "Template: \($0.name)" } ?? ConversationRecord.preview(reply.text)
        try await connection.query(
            """
            UPDATE conversations SET last_message_at = \(now), last_message_id = \(message.id), preview = \(preview),
                message_count = message_count + 1,
                private_replies_sent = private_replies_sent + \(Int32(reply.sendKind == .privateReply ? 1 : 0)),
                last_team_reply_at = CASE WHEN \(reply.automatic) THEN last_team_reply_at ELSE \(now) END,
                waiting_since = CASE WHEN \(reply.automatic) THEN waiting_since END,
                first_response_at = CASE WHEN \(reply.automatic) THEN first_response_at
                    ELSE coalesce(first_response_at, \(now)) END,
                last_automatic_reply_at = CASE WHEN \(reply.automatic) THEN \(now) ELSE last_automatic_reply_at END,
                updated_at = \(now)
            WHERE organization_id = \(organizationID) AND id = \(conversation.id)
            """,
            logger: self.logger)

        let handOff = Self.deliveryRequest(
            reply, message: message, conversation: conversation, replyTo: replyToPlatformID)
        let bytes: [UInt8] = try handOff.serializedBytes()
        try await connection.query(
            """
            INSERT INTO delivery_outbox (organization_id, message_id, request, next_attempt_at, created_at)
            VALUES (\(organizationID), \(message.id), \(ByteBuffer(bytes: bytes)), \(now), \(now))
            """,
            logger: self.logger)
        try await self.enqueueActivity(
            reply.automatic ? .automaticReply : .teamReply, organizationID: organizationID, agentID: reply.agentID,
            at: now, on: connection)
        changes.add(
            .messageCreated, organizationID: organizationID, conversationID: conversation.id, messageID: message.id)
        changes.add(.conversationUpdated, organizationID: organizationID, conversationID: conversation.id)
        return (message, true)
    }

    /// The stored word for a send kind (every send kind has one).
    private static func stored(_ kind: ReplySendKind) -> StoredSendKind {
        switch kind {
        case .directMessage: .directMessage
        case .publicReply: .publicReply
        case .privateReply: .privateReply
        case .template: .template
        }
    }

    /// The message stored under an idempotency key of the organisation (a reply, or a note: the
    /// caller tells them apart by direction).
    func storedReply(idempotencyKey: String, organizationID: String, on db: any Queryable) async throws
        -> MessageRecord?
    {
        let rows = try await db.rows(
            """
            SELECT \(unescaped: MessageRecord.columns) FROM messages
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger)
        for try await row in rows { return try MessageRecord(row) }
        return nil
    }

    /// The platform message a reply answers: the one named (it must be a customer or outbound
    /// message of this conversation), or for a public reply under a comment the comment itself.
    private func replyToPlatformID(
        _ reply: OutboundReply, conversation: ConversationRecord, on connection: PostgresConnection
    ) async throws -> String? {
        if let id = reply.replyToMessageID {
            let rows = try await connection.query(
                """
                SELECT platform_message_id FROM messages
                WHERE organization_id = \(conversation.organizationID) AND id = \(id)
                    AND conversation_id = \(conversation.id) AND direction <> \(StoredDirection.note.rawValue)
                """,
                logger: self.logger)
            for try await platformID in rows.decode(String?.self) { return platformID }
            throw DomainError.notFound("message \(id.text) is not a message of this conversation", resource: "message")
        }
        if reply.sendKind == .publicReply, conversation.kind != .directMessage {
            return conversation.commentPlatformMessageID.flatMap { $0.isEmpty ? nil : $0 }
        }
        return nil
    }

    /// What the gateway needs to send the reply (channel_gateway.proto names what each platform
    /// reads), so it never parses a thread key.
    static func deliveryRequest(
        _ reply: OutboundReply, message: MessageRecord, conversation: ConversationRecord, replyTo: String?
    ) -> Inbox_V1_DeliverMessageRequest {
        .with {
            $0.organizationID = conversation.organizationID
            $0.channelID = conversation.channelID
            $0.messageID = message.id.text
            $0.idempotencyKey = reply.idempotencyKey
            $0.sendKind = reply.sendKind.proto
            $0.recipientID = conversation.customerPlatformUserID ?? ""
            $0.threadKey = conversation.threadKey
            $0.replyToPlatformID = replyTo ?? ""
            $0.text = reply.text
            if let template = reply.template { $0.template = template }
            // The human-agent tag is for replies a person wrote, never for automatic ones.
            $0.tag = reply.automatic ? .unspecified : reply.tag
            $0.attachments = reply.attachments
            $0.conversationKind = conversation.kind.proto
            $0.parentPostID = conversation.parentPostID ?? ""
            // The comment answered: the one the thread hangs under, or the top-level comment itself.
            $0.parentCommentID =
                [conversation.parentCommentID, conversation.commentPlatformMessageID].compactMap { $0 }
                .first { !$0.isEmpty } ?? ""
            $0.platform = conversation.platform.proto
            $0.conversationID = conversation.id.text
            $0.automatic = reply.automatic
            $0.businessConnectionID = conversation.businessConnectionID ?? ""
        }
    }

    // MARK: Delivery states

    /// Applies one delivery-status update inside the caller's transaction (which ends with
    /// ``record(_:on:now:)``). A malformed update throws `DomainError.invalidArgument` naming the
    /// field before any statement runs, so a caller may catch it and go on in the same
    /// transaction.
    ///
    /// States only move forward (``StoredDeliveryState/canMove(to:)``). A platform id reported for
    /// our message is kept; when an echo of that send arrived first (another outbound row of the
    /// channel with `origin = 'echo'` holds the id), the echo is merged into our message: it is
    /// deleted and no longer counted in its conversation.
    func applyDeliveryStatus(
        _ update: Inbox_V1_DeliveryStatusUpdate, organizationID: String, on connection: PostgresConnection,
        changes: inout ChangeSet, now: Date
    ) async throws -> DeliveryStatusApplied {
        let target = try DeliveryStatusTarget(update)
        let located: MessageRecord?
        var platformID: String?
        switch target.subject {
        case .watermark(let channelID, let threadKey, let watermark):
            return try await self.applyWatermark(
                target, channelID: channelID, threadKey: threadKey, watermark: watermark,
                organizationID: organizationID, on: connection, changes: &changes, now: now)
        case .message(let id, let channelID, let reported):
            platformID = reported
            if let found = try await self.lockOutbound(id: id, organizationID: organizationID, on: connection) {
                located = found
            } else if let reported, !channelID.isEmpty {
                located = try await self.lockOutbound(
                    channelID: channelID, platformMessageID: reported, organizationID: organizationID, on: connection)
            } else {
                located = nil
            }
        case .platformMessage(let channelID, let reported):
            located = try await self.lockOutbound(
                channelID: channelID, platformMessageID: reported, organizationID: organizationID, on: connection)
        }
        guard let message = located else { return .notFound }

        var changed = false
        if let platformID, message.platformMessageID == nil {
            changed = try await self.adoptPlatformID(
                platformID, for: message, on: connection, changes: &changes, now: now)
        }
        if let threadKey = target.movedToThreadKey {
            try await self.retarget(
                message.conversationID, organizationID: organizationID, to: threadKey, on: connection,
                changes: &changes, now: now)
        }
        let current = message.deliveryState ?? .pending
        let moves = current.canMove(to: target.state)
        if moves {
            try await connection.query(
                """
                UPDATE messages SET delivery_state = \(target.state.rawValue),
                    failure_reason = \(target.failureReason?.rawValue), failure_detail = \(target.failureDetail),
                    delivery_at = \(target.occurredAt ?? now)
                WHERE organization_id = \(organizationID) AND id = \(message.id)
                """,
                logger: self.logger)
        }
        if moves || changed {
            changes.add(
                .messageUpdated, organizationID: organizationID, conversationID: message.conversationID,
                messageID: message.id)
        }
        return moves
            ? .applied(messageID: message.id, state: target.state, count: 1)
            : .stale(messageID: message.id, state: current)
    }

    /// Moves every outbound message of the thread sent at or before `watermark` forward.
    private func applyWatermark(
        _ target: DeliveryStatusTarget, channelID: String, threadKey: String, watermark: Date, organizationID: String,
        on connection: PostgresConnection, changes: inout ChangeSet, now: Date
    ) async throws -> DeliveryStatusApplied {
        let rows = try await connection.query(
            """
            UPDATE messages AS m
            SET delivery_state = \(target.state.rawValue), delivery_at = \(target.occurredAt ?? now)
            FROM conversations AS c
            WHERE c.organization_id = \(organizationID) AND c.channel_id = \(channelID) AND c.thread_key = \(threadKey)
                AND m.organization_id = c.organization_id AND m.conversation_id = c.id
                AND m.direction = \(StoredDirection.outbound.rawValue) AND m.platform_time <= \(watermark)
                AND coalesce(m.delivery_state, 'pending') = ANY(\(Self.states(movingTo: target.state))::text[])
            RETURNING m.id, m.conversation_id, m.platform_time
            """,
            logger: self.logger)
        var newest: (id: UUID, time: Date)?
        var count = 0
        for try await row in rows.decode((UUID, UUID, Date).self) {
            count += 1
            changes.add(.messageUpdated, organizationID: organizationID, conversationID: row.1, messageID: row.0)
            if newest.map({ row.2 > $0.time }) ?? true { newest = (id: row.0, time: row.2) }
        }
        if let newest { return .applied(messageID: newest.id, state: target.state, count: count) }

        let latest = try await connection.query(
            """
            SELECT m.id, coalesce(m.delivery_state, 'pending') FROM messages AS m
            JOIN conversations AS c ON c.organization_id = m.organization_id AND c.id = m.conversation_id
            WHERE c.organization_id = \(organizationID) AND c.channel_id = \(channelID) AND c.thread_key = \(threadKey)
                AND m.direction = \(StoredDirection.outbound.rawValue) AND m.platform_time <= \(watermark)
            ORDER BY m.platform_time DESC, m.id DESC LIMIT 1
            """,
            logger: self.logger)
        for try await row in latest.decode((UUID, String).self) {
            return .stale(messageID: row.0, state: StoredDeliveryState(rawValue: row.1) ?? .pending)
        }
        return .notFound
    }

    /// Moves a conversation to the thread its platform moved it to (DeliveryStatusUpdate.
    /// moved_to_thread_key: a Telegram group upgraded to a supergroup has a new chat id), so that
    /// later replies go there (the gateway sends a bot chat's replies to its thread key) and the new
    /// chat's messages join it. Applied whatever the state reported, and again harmlessly: a
    /// conversation already there is left alone.
    ///
    /// When the channel has a conversation of that thread already (the supergroup's messages arrived
    /// before this status), both are kept as they are: merging them is not done here, and the old
    /// conversation's next reply is moved by the gateway again (one refused request more). Changing
    /// the thread key changes a key of the row, so the update takes the row's strongest lock; a
    /// conversation of that thread created concurrently makes the unique key refuse the update, the
    /// gateway's report fails and is retried, and then finds it.
    private func retarget(
        _ conversationID: UUID, organizationID: String, to threadKey: String, on connection: PostgresConnection,
        changes: inout ChangeSet, now: Date
    ) async throws {
        guard let before = try await self.conversation(conversationID, organizationID: organizationID, on: connection),
            before.threadKey != threadKey
        else { return }
        let rows = try await connection.query(
            """
            UPDATE conversations AS c SET thread_key = \(threadKey), updated_at = \(now)
            WHERE c.organization_id = \(organizationID) AND c.id = \(conversationID)
                AND NOT EXISTS (
                    SELECT 1 FROM conversations AS o
                    WHERE o.organization_id = c.organization_id AND o.channel_id = c.channel_id
                        AND o.thread_key = \(threadKey))
            RETURNING c.id
            """,
            logger: self.logger)
        var moved = false
        for try await _ in rows.decode(UUID.self) { moved = true }
        guard moved else {
            self.logger.warning(
                "the platform moved a conversation to a thread another conversation of the channel has; both kept",
                metadata: ["conversation": "\(conversationID.text)", "thread": "\(threadKey)"])
            return
        }
        changes.noteBefore(before.proto(now: now), id: conversationID)
        changes.add(.conversationUpdated, organizationID: organizationID, conversationID: conversationID)
    }

    /// The stored words of every state that may move to `next`.
    static func states(movingTo next: StoredDeliveryState) -> [String] {
        let all: [StoredDeliveryState] = [.pending, .sent, .delivered, .read, .failed]
        return all.filter { $0.canMove(to: next) }.map(\.rawValue)
    }

    private func lockOutbound(id: UUID, organizationID: String, on connection: PostgresConnection) async throws
        -> MessageRecord?
    {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: MessageRecord.columns) FROM messages
            WHERE organization_id = \(organizationID) AND id = \(id)
                AND direction = \(StoredDirection.outbound.rawValue)
            FOR UPDATE
            """,
            logger: self.logger)
        for try await row in rows { return try MessageRecord(row) }
        return nil
    }

    private func lockOutbound(
        channelID: String, platformMessageID: String, organizationID: String, on connection: PostgresConnection
    ) async throws -> MessageRecord? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: MessageRecord.columns) FROM messages
            WHERE organization_id = \(organizationID) AND channel_id = \(channelID)
                AND platform_message_id = \(platformMessageID) AND direction = \(StoredDirection.outbound.rawValue)
            FOR UPDATE
            """,
            logger: self.logger)
        for try await row in rows { return try MessageRecord(row) }
        return nil
    }

    /// Gives our message the platform's id. When an echo of this send holds the id already (the
    /// platform's echo webhook overtook our SENT), the echo is the same message seen twice: it is
    /// deleted, and its conversation counts one message less. Another kind of message holding the
    /// id (which the platform never reuses) leaves ours without it. Returns whether ours changed.
    private func adoptPlatformID(
        _ platformID: String, for message: MessageRecord, on connection: PostgresConnection,
        changes: inout ChangeSet, now: Date
    ) async throws -> Bool {
        let organizationID = message.organizationID
        let holders = try await connection.query(
            """
            SELECT id, conversation_id, direction, origin FROM messages
            WHERE organization_id = \(organizationID) AND channel_id = \(message.channelID)
                AND platform_message_id = \(platformID) AND id <> \(message.id)
            FOR UPDATE
            """,
            logger: self.logger)
        var holder: (id: UUID, conversationID: UUID, direction: String, origin: String)?
        for try await row in holders.decode((UUID, UUID, String, String).self) {
            holder = (id: row.0, conversationID: row.1, direction: row.2, origin: row.3)
        }

        if let holder {
            guard holder.direction == StoredDirection.outbound.rawValue, holder.origin == "echo" else {
                self.logger.warning(
                    "a delivery status names a platform id another message holds; keeping the message without it",
                    metadata: ["message": "\(message.id.text)", "holder": "\(holder.id.text)"])
                return false
            }
            if let before = try await self.conversation(
                holder.conversationID, organizationID: organizationID, on: connection)
            {
                changes.noteBefore(before.proto(now: now), id: holder.conversationID)
            }
            try await connection.query(
                "DELETE FROM messages WHERE organization_id = \(organizationID) AND id = \(holder.id)",
                logger: self.logger)
            try await connection.query(
                """
                UPDATE messages SET reply_to_message_id = \(message.id)
                WHERE organization_id = \(organizationID) AND conversation_id = \(holder.conversationID)
                    AND reply_to_message_id = \(holder.id)
                """,
                logger: self.logger)
            try await connection.query(
                """
                UPDATE conversations SET message_count = greatest(message_count - 1, 0),
                    last_message_id = CASE WHEN last_message_id = \(holder.id) THEN (
                        SELECT id FROM messages
                        WHERE organization_id = \(organizationID) AND conversation_id = \(holder.conversationID)
                            AND direction <> \(StoredDirection.note.rawValue)
                        ORDER BY platform_time DESC, id DESC LIMIT 1) ELSE last_message_id END,
                    updated_at = \(now)
                WHERE organization_id = \(organizationID) AND id = \(holder.conversationID)
                """,
                logger: self.logger)
            changes.add(.conversationUpdated, organizationID: organizationID, conversationID: holder.conversationID)
        }
        try await connection.query(
            """
            UPDATE messages SET platform_message_id = \(platformID)
            WHERE organization_id = \(organizationID) AND id = \(message.id)
            """,
            logger: self.logger)
        return true
    }

    /// Marks an outbound message FAILED because the gateway refused it for good (the hand-off row
    /// is removed too). A message already READ or FAILED keeps its state. Inside the caller's
    /// transaction, which ends with ``record(_:on:now:)``.
    func refuseDelivery(
        organizationID: String, messageID: UUID, reason: StoredFailureReason, detail: String,
        on connection: PostgresConnection, changes: inout ChangeSet, now: Date
    ) async throws {
        let rows = try await connection.query(
            """
            UPDATE messages SET delivery_state = \(StoredDeliveryState.failed.rawValue),
                failure_reason = \(reason.rawValue), failure_detail = \(detail), delivery_at = \(now)
            WHERE organization_id = \(organizationID) AND id = \(messageID)
                AND coalesce(delivery_state, 'pending') = ANY(\(Self.states(movingTo: .failed))::text[])
            RETURNING conversation_id
            """,
            logger: self.logger)
        for try await conversationID in rows.decode(UUID.self) {
            changes.add(
                .messageUpdated, organizationID: organizationID, conversationID: conversationID, messageID: messageID)
        }
        try await connection.query(
            "DELETE FROM delivery_outbox WHERE organization_id = \(organizationID) AND message_id = \(messageID)",
            logger: self.logger)
    }
}

import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A delivery a worker round claimed.
struct ClaimedDelivery: Sendable {
    var id: UUID
    var organizationID: String
    var channelID: UUID
    var messageID: String
    var platform: Platform
    /// The stored `inbox.v1.DeliverMessageRequest`.
    var request: [UInt8]
    /// Sends made before this round.
    var attempts: Int
    /// Where an earlier try found the conversation's thread moved to (a Telegram group's new
    /// supergroup chat id): this try goes there.
    var movedToThreadKey: String? = nil
}

/// Where a claimed delivery goes after a round.
struct DeliverySettlement: Sendable {
    var organizationID: String
    var id: UUID
    /// PENDING (a retry, or not sent this round), SENT or FAILED.
    var state: OutboundDeliveryState
    var platformMessageID: String?
    var failureReason: DeliveryFailureReason?
    var failureDetail: String?
    /// Why this try did not succeed, for a retry.
    var lastError: String?
    /// When a PENDING delivery comes due again (ignored for the other states).
    var nextAttemptAt: Date
    /// The thread this try found the conversation moved to (a Telegram group's new supergroup chat
    /// id), kept on the delivery and reported with its final state; nil: not moved by this try.
    var movedToThreadKey: String? = nil
}

/// What a round learnt about a channel from its sends, for GetChannelHealth.
struct ChannelSendError: Sendable {
    var channelID: UUID
    /// A sentence a person understands; never a secret.
    var text: String
    /// The `ChannelErrorReason` word (`token_invalid`, `rate_limited`, `platform_unavailable`).
    var reason: String
    /// The platform refused the channel's token: the channel becomes TOKEN_INVALID.
    var tokenInvalid: Bool
}

extension DeliveryRepository {
    /// Deliveries whose worker died mid-send — still SENDING when their claim ran out — become
    /// FAILED with the reason maybe_sent (their request may have reached the platform, which has no
    /// idempotency of its own), their status queued for conversation-service; on a platform in
    /// `resendable` they are PENDING again instead. Returns how many statuses were queued.
    func recoverAbandonedSends(now: Date, resendable: [Platform], limit: Int = 500) async throws -> Int {
        let detail =
            "The gateway stopped while sending: the platform may have received the message. It is not sent "
            + "again automatically; send it again if it did not arrive."
        let rows = try await self.client.query(
            """
            WITH recovered AS (
                UPDATE outbound_deliveries AS d
                SET state = CASE WHEN d.platform = ANY(\(resendable.map(\.rawValue))::text[]) THEN 'pending'
                        ELSE 'failed' END,
                    failure_reason = CASE WHEN d.platform = ANY(\(resendable.map(\.rawValue))::text[]) THEN NULL
                        ELSE 'maybe_sent' END,
                    failure_detail = CASE WHEN d.platform = ANY(\(resendable.map(\.rawValue))::text[]) THEN NULL
                        ELSE \(detail) END,
                    last_error = 'the worker that sent it stopped before the answer', claim_id = NULL,
                    next_attempt_at = \(now), updated_at = \(now)
                FROM (SELECT organization_id, id FROM outbound_deliveries
                      WHERE state = 'sending' AND next_attempt_at <= \(now)
                      ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) AS lost
                WHERE d.organization_id = lost.organization_id AND d.id = lost.id
                RETURNING d.organization_id, d.id, d.channel_id, d.message_id, d.state, d.failure_reason,
                    d.failure_detail, d.moved_to_thread_key
            ), queued AS (
                INSERT INTO delivery_status_outbox (organization_id, delivery_id, channel_id, message_id, state,
                    failure_reason, failure_detail, occurred_at, next_attempt_at, moved_to_thread_key)
                SELECT organization_id, id, channel_id, message_id, state, failure_reason, failure_detail, \(now),
                    \(now), coalesce(moved_to_thread_key, '')
                FROM recovered WHERE state = 'failed'
                ON CONFLICT (organization_id, delivery_id) DO UPDATE SET state = excluded.state,
                    platform_message_id = excluded.platform_message_id, failure_reason = excluded.failure_reason,
                    failure_detail = excluded.failure_detail, moved_to_thread_key = excluded.moved_to_thread_key,
                    occurred_at = excluded.occurred_at, attempts = 0,
                    next_attempt_at = excluded.next_attempt_at, last_error = NULL
                RETURNING delivery_id
            )
            SELECT (SELECT count(*) FROM recovered)::bigint, (SELECT count(*) FROM queued)::bigint
            """,
            logger: self.logger)
        for try await (recovered, queued) in rows.decode((Int64, Int64).self) {
            if recovered > 0 {
                self.logger.warning(
                    "deliveries were left sending by a worker that stopped",
                    metadata: ["deliveries": "\(recovered)", "maybe_sent": "\(queued)"])
            }
            return Int(queued)
        }
        return 0
    }

    /// Claims up to `limit` due PENDING deliveries for the round `claim` until `until`
    /// (`FOR UPDATE SKIP LOCKED`: replicas never claim one delivery at once). A round that dies
    /// before it sends leaves them PENDING, due again when the claim runs out.
    func claimDue(limit: Int, now: Date, until: Date, claim: UUID) async throws -> [ClaimedDelivery] {
        let rows = try await self.client.query(
            """
            UPDATE outbound_deliveries AS d SET next_attempt_at = \(until), claim_id = \(claim)
            FROM (SELECT organization_id, id FROM outbound_deliveries
                  WHERE state = 'pending' AND next_attempt_at <= \(now)
                  ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) AS due
            WHERE d.organization_id = due.organization_id AND d.id = due.id
            RETURNING d.id, d.organization_id, d.channel_id, d.message_id, d.platform, d.request, d.attempts,
                d.created_at, coalesce(d.moved_to_thread_key, '')
            """,
            logger: self.logger)
        var claimed: [(ClaimedDelivery, Date)] = []
        for try await row in rows.decode((UUID, String, UUID, String, String, ByteBuffer, Int, Date, String).self) {
            guard let platform = Platform(rawValue: row.4) else { continue }
            claimed.append(
                (
                    ClaimedDelivery(
                        id: row.0, organizationID: row.1, channelID: row.2, messageID: row.3, platform: platform,
                        request: Array(buffer: row.5), attempts: row.6, movedToThreadKey: row.8.isEmpty ? nil : row.8),
                    row.7
                ))
        }
        // Oldest first, so a channel's pacing lets its earliest replies go first.
        return claimed.sorted { $0.1 < $1.1 }.map { $0.0 }
    }

    /// Marks the round's deliveries SENDING just before their requests go out, counting the try,
    /// their claim extended to `until`; returns the ids still held by `claim` (only those are sent).
    func markSending(
        _ deliveries: [(organizationID: String, id: UUID)], claim: UUID, now: Date, until: Date
    ) async throws -> Set<UUID> {
        guard !deliveries.isEmpty else { return [] }
        let rows = try await self.client.query(
            """
            UPDATE outbound_deliveries AS d SET state = 'sending', attempts = d.attempts + 1,
                send_started_at = \(now), next_attempt_at = \(until), updated_at = \(now)
            FROM unnest(\(deliveries.map { $0.organizationID })::text[], \(deliveries.map { $0.id })::uuid[])
                AS s(organization_id, id)
            WHERE d.organization_id = s.organization_id AND d.id = s.id AND d.claim_id = \(claim)
                AND d.state = 'pending'
            RETURNING d.id
            """,
            logger: self.logger)
        var marked = Set<UUID>()
        for try await id in rows.decode(UUID.self) { marked.insert(id) }
        return marked
    }

    /// Applies a round's outcome in one transaction: the deliveries still held by `claim` take
    /// their settlement, every SENT and FAILED one queues its status in
    /// `delivery_status_outbox` (with the thread it moved to, by this try or an earlier one), and
    /// the channels' errors are recorded (a refused token makes its channel TOKEN_INVALID). Returns
    /// how many statuses were queued.
    func settle(
        _ settlements: [DeliverySettlement], claim: UUID, channelErrors: [ChannelSendError], now: Date
    ) async throws -> Int {
        guard !settlements.isEmpty || !channelErrors.isEmpty else { return 0 }
        return try await self.client.withTransaction(logger: self.logger) { connection in
            var queued = 0
            if !settlements.isEmpty {
                let rows = try await connection.query(
                    """
                    WITH settled AS (
                        UPDATE outbound_deliveries AS d SET state = s.state,
                            platform_message_id = coalesce(NULLIF(s.platform_message_id, ''), d.platform_message_id),
                            failure_reason = NULLIF(s.failure_reason, ''),
                            failure_detail = NULLIF(s.failure_detail, ''),
                            -- A delivery put back for its channel's pace keeps the reason of its last retry.
                            last_error = CASE WHEN s.last_error = '' AND s.state = 'pending' THEN d.last_error
                                ELSE NULLIF(s.last_error, '') END,
                            next_attempt_at = s.next_attempt_at, claim_id = NULL, updated_at = \(now),
                            sent_at = CASE WHEN s.state = 'sent' THEN \(now) ELSE d.sent_at END,
                            moved_to_thread_key = coalesce(NULLIF(s.moved_to_thread_key, ''), d.moved_to_thread_key)
                        FROM unnest(\(settlements.map(\.organizationID))::text[], \(settlements.map(\.id))::uuid[],
                            \(settlements.map(\.state.rawValue))::text[],
                            \(settlements.map { $0.platformMessageID ?? "" })::text[],
                            \(settlements.map { $0.failureReason?.rawValue ?? "" })::text[],
                            \(settlements.map { $0.failureDetail ?? "" })::text[],
                            \(settlements.map { $0.lastError ?? "" })::text[],
                            \(settlements.map(\.nextAttemptAt))::timestamptz[],
                            \(settlements.map { $0.movedToThreadKey ?? "" })::text[])
                            AS s(organization_id, id, state, platform_message_id, failure_reason, failure_detail,
                                last_error, next_attempt_at, moved_to_thread_key)
                        WHERE d.organization_id = s.organization_id AND d.id = s.id AND d.claim_id = \(claim)
                        RETURNING d.organization_id, d.id, d.channel_id, d.message_id, d.state, d.platform_message_id,
                            d.failure_reason, d.failure_detail, d.moved_to_thread_key
                    ), queued AS (
                        INSERT INTO delivery_status_outbox (organization_id, delivery_id, channel_id, message_id,
                            state, platform_message_id, failure_reason, failure_detail, occurred_at, next_attempt_at,
                            moved_to_thread_key)
                        SELECT organization_id, id, channel_id, message_id, state, coalesce(platform_message_id, ''),
                            coalesce(failure_reason, ''), coalesce(failure_detail, ''), \(now), \(now),
                            coalesce(moved_to_thread_key, '')
                        FROM settled WHERE state IN ('sent', 'failed')
                        ON CONFLICT (organization_id, delivery_id) DO UPDATE SET state = excluded.state,
                            platform_message_id = excluded.platform_message_id,
                            failure_reason = excluded.failure_reason, failure_detail = excluded.failure_detail,
                            moved_to_thread_key = excluded.moved_to_thread_key,
                            occurred_at = excluded.occurred_at, attempts = 0,
                            next_attempt_at = excluded.next_attempt_at, last_error = NULL
                        RETURNING delivery_id
                    )
                    SELECT (SELECT count(*) FROM queued)::bigint
                    """,
                    logger: self.logger)
                for try await count in rows.decode(Int64.self) { queued = Int(count) }
            }
            if !channelErrors.isEmpty {
                try await connection.query(
                    """
                    UPDATE channels AS c SET
                        status = CASE WHEN e.token_invalid AND c.status = 'active' THEN 'token_invalid'
                            ELSE c.status END,
                        updated_at = CASE WHEN e.token_invalid AND c.status = 'active' THEN \(now)
                            ELSE c.updated_at END,
                        last_error = e.text, last_error_reason = e.reason, last_error_at = \(now)
                    FROM unnest(\(channelErrors.map(\.channelID))::uuid[], \(channelErrors.map(\.text))::text[],
                        \(channelErrors.map(\.reason))::text[], \(channelErrors.map(\.tokenInvalid))::boolean[])
                        AS e(id, text, reason, token_invalid)
                    WHERE c.id = e.id
                    """,
                    logger: self.logger)
            }
            return queued
        }
    }
}

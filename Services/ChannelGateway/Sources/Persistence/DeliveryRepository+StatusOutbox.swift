import InboxKit
import Logging
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A delivery state waiting in `gateway.delivery_status_outbox` for conversation-service.
struct QueuedDeliveryStatus: Sendable, Hashable {
    var organizationID: String
    var deliveryID: UUID
    var channelID: UUID
    var messageID: String
    var state: OutboundDeliveryState
    var platformMessageID: String?
    var failureReason: DeliveryFailureReason?
    var failureDetail: String?
    var occurredAt: Date
    /// Tries so far, this one included.
    var attempts: Int
    /// The thread the platform moved the conversation to (DeliveryStatusUpdate.moved_to_thread_key).
    var movedToThreadKey: String? = nil
}

/// What becomes of a queued status after a try.
enum DeliveryStatusSettlement: Sendable {
    /// Conversation-service took it (APPLIED, STALE), or it will never (NOT_FOUND for good, INVALID).
    case done
    case retry(at: Date, error: String)
}

extension DeliveryRepository {
    /// Claims up to `limit` due statuses until `until` (`FOR UPDATE SKIP LOCKED`), counting the try.
    func claimStatuses(limit: Int, now: Date, until: Date) async throws -> [QueuedDeliveryStatus] {
        let rows = try await self.client.query(
            """
            UPDATE delivery_status_outbox AS o SET next_attempt_at = \(until), attempts = o.attempts + 1
            FROM (SELECT organization_id, delivery_id FROM delivery_status_outbox WHERE next_attempt_at <= \(now)
                  ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) AS due
            WHERE o.organization_id = due.organization_id AND o.delivery_id = due.delivery_id
            RETURNING o.organization_id, o.delivery_id, o.channel_id, o.message_id, o.state, o.platform_message_id,
                o.failure_reason, o.failure_detail, o.occurred_at, o.attempts, o.moved_to_thread_key
            """,
            logger: self.logger)
        var claimed: [QueuedDeliveryStatus] = []
        for try await row in rows.decode(
            (String, UUID, UUID, String, String, String, String, String, Date, Int, String).self)
        {
            claimed.append(
                QueuedDeliveryStatus(
                    organizationID: row.0, deliveryID: row.1, channelID: row.2, messageID: row.3,
                    state: OutboundDeliveryState(rawValue: row.4) ?? .failed,
                    platformMessageID: row.5.isEmpty ? nil : row.5,
                    failureReason: DeliveryFailureReason(rawValue: row.6), failureDetail: row.7.isEmpty ? nil : row.7,
                    occurredAt: row.8, attempts: row.9, movedToThreadKey: row.10.isEmpty ? nil : row.10))
        }
        return claimed.sorted { $0.occurredAt < $1.occurredAt }
    }

    /// Deletes the statuses that are done and schedules the others again, in one transaction. A
    /// status replaced while it was being sent (a newer state of the same delivery) is kept.
    func settleStatuses(_ settled: [(status: QueuedDeliveryStatus, settlement: DeliveryStatusSettlement)])
        async throws
    {
        var done: [QueuedDeliveryStatus] = []
        var retries: [(status: QueuedDeliveryStatus, at: Date, error: String)] = []
        for (status, settlement) in settled {
            switch settlement {
            case .done: done.append(status)
            case .retry(let at, let error): retries.append((status, at, error))
            }
        }
        guard !done.isEmpty || !retries.isEmpty else { return }
        try await self.client.withTransaction(logger: self.logger) { connection in
            if !done.isEmpty {
                try await connection.query(
                    """
                    DELETE FROM delivery_status_outbox AS o
                    USING unnest(\(done.map(\.organizationID))::text[], \(done.map(\.deliveryID))::uuid[],
                        \(done.map(\.state.rawValue))::text[]) AS s(organization_id, delivery_id, state)
                    WHERE o.organization_id = s.organization_id AND o.delivery_id = s.delivery_id
                        AND o.state = s.state
                    """,
                    logger: self.logger)
            }
            if !retries.isEmpty {
                try await connection.query(
                    """
                    UPDATE delivery_status_outbox AS o SET next_attempt_at = s.next_attempt_at, last_error = s.error
                    FROM unnest(\(retries.map { $0.status.organizationID })::text[],
                        \(retries.map { $0.status.deliveryID })::uuid[],
                        \(retries.map { $0.status.state.rawValue })::text[], \(retries.map { $0.at })::timestamptz[],
                        \(retries.map { $0.error })::text[])
                        AS s(organization_id, delivery_id, state, next_attempt_at, error)
                    WHERE o.organization_id = s.organization_id AND o.delivery_id = s.delivery_id
                        AND o.state = s.state
                    """,
                    logger: self.logger)
            }
        }
    }
}

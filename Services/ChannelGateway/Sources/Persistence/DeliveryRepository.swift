import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A delivery DeliverMessage queues.
struct NewDelivery: Sendable {
    var id: UUID
    var organizationID: String
    var channelID: UUID
    var platform: Platform
    var messageID: String
    var conversationID: String
    var idempotencyKey: String
    /// SHA-256 of the request without its key.
    var fingerprint: String
    /// The `inbox.v1.DeliverMessageRequest`, protobuf-encoded: what the worker sends.
    var request: [UInt8]
}

/// `gateway.outbound_deliveries` and `gateway.delivery_status_outbox`: the queue of replies to
/// send and of the states to report back. Unique on (organisation, idempotency key), so a repeated
/// DeliverMessage finds the first delivery and never queues a second.
struct DeliveryRepository: Sendable {
    /// The NOTIFY channel a new delivery signals; every replica's delivery worker LISTENs on it.
    static let notifyChannel = "outbound_deliveries"

    let client: PostgresClient
    let logger: Logger

    static let columns = """
        id, organization_id, channel_id, message_id, idempotency_key, state, coalesce(platform_message_id, ''),
        coalesce(failure_reason, ''), coalesce(failure_detail, ''), attempts, next_attempt_at, created_at, updated_at
        """

    typealias Row = (UUID, String, UUID, String, String, String, String, String, String, Int, Date, Date, Date)

    /// Queues `new` PENDING, due at `now`, and signals ``notifyChannel`` at commit. Nil when the
    /// organisation has a delivery with this key already (the caller reads that one).
    func insert(_ new: NewDelivery, now: Date) async throws -> OutboundDelivery? {
        let rows = try await self.client.query(
            """
            WITH inserted AS (
                INSERT INTO outbound_deliveries (id, organization_id, channel_id, platform, message_id, conversation_id,
                    idempotency_key, idempotency_fingerprint, request, state, attempts, next_attempt_at, created_at,
                    updated_at)
                VALUES (\(new.id), \(new.organizationID), \(new.channelID), \(new.platform.rawValue), \(new.messageID),
                    \(new.conversationID), \(new.idempotencyKey), \(new.fingerprint), \(ByteBuffer(bytes: new.request)),
                    'pending', 0, \(now), \(now), \(now))
                ON CONFLICT (organization_id, idempotency_key) DO NOTHING
                RETURNING id
            )
            SELECT id, pg_notify(\(Self.notifyChannel), '')::text FROM inserted
            """,
            logger: self.logger)
        for try await (id, _) in rows.decode((UUID, String).self) where id == new.id {
            return OutboundDelivery(
                id: new.id, organizationID: new.organizationID, channelID: new.channelID, messageID: new.messageID,
                idempotencyKey: new.idempotencyKey, state: .pending, platformMessageID: nil, failureReason: nil,
                failureDetail: nil, attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now)
        }
        return nil
    }

    /// The organisation's delivery with this idempotency key, and its request's fingerprint.
    func delivery(idempotencyKey: String, organizationID: String) async throws
        -> (delivery: OutboundDelivery, fingerprint: String)?
    {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns), idempotency_fingerprint FROM outbound_deliveries
            WHERE organization_id = \(organizationID) AND idempotency_key = \(idempotencyKey)
            """,
            logger: self.logger)
        for try await row in rows.decode(
            (UUID, String, UUID, String, String, String, String, String, String, Int, Date, Date, Date, String).self)
        {
            let delivery = Self.delivery(
                (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12))
            return (delivery, row.13)
        }
        return nil
    }

    func delivery(_ id: UUID, organizationID: String) async throws -> OutboundDelivery? {
        let rows = try await self.client.query(
            """
            SELECT \(unescaped: Self.columns) FROM outbound_deliveries
            WHERE organization_id = \(organizationID) AND id = \(id)
            """,
            logger: self.logger)
        for try await row in rows.decode(Row.self) { return Self.delivery(row) }
        return nil
    }

    static func delivery(_ row: Row) -> OutboundDelivery {
        OutboundDelivery(
            id: row.0, organizationID: row.1, channelID: row.2, messageID: row.3, idempotencyKey: row.4,
            state: OutboundDeliveryState(rawValue: row.5) ?? .pending, platformMessageID: row.6.isEmpty ? nil : row.6,
            failureReason: DeliveryFailureReason(rawValue: row.7), failureDetail: row.8.isEmpty ? nil : row.8,
            attempts: row.9, nextAttemptAt: row.10, createdAt: row.11, updatedAt: row.12)
    }
}

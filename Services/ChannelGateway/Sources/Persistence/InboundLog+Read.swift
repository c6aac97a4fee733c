import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// One stored row as ListInboundEvents shows it.
struct StoredInboundRow: Sendable {
    var id: UUID
    var organizationID: String
    var channelID: UUID?
    var state: StoredInboundState
    var event: [UInt8]
    var attempts: Int
    var lastError: String
    var receivedAt: Date
    /// UNPARSED: the entry's raw text.
    var rawText: String
}

/// What GetChannelHealth reports from the inbound log.
struct InboundHealth: Sendable {
    var counts: [StoredInboundState: Int64] = [:]
    var accepted: Int64 = 0
    var hidden: Int64 = 0
    var lastEventAt: Date?
    var oldestPendingAt: Date?
    var counters: [String: Int64] = [:]
    var lastError: (text: String, reason: String, at: Date)?
    /// Outbound deliveries per state word; FAILED ones whose reason is maybe_sent under `maybe_sent`.
    var deliveries: [String: Int64] = [:]
}

extension InboundLog {
    /// A page, newest first, after the cursor `(received_at, id)`.
    func list(
        organizationID: String?, channelID: UUID?, states: [StoredInboundState], hiddenOnly: Bool,
        after cursor: (Date, UUID)?, limit: Int
    ) async throws -> [StoredInboundRow] {
        let rows = try await self.client.query(
            """
            SELECT id, coalesce(organization_id, ''), channel_id, state, event, attempts, coalesce(last_error, ''),
                received_at, CASE WHEN unparsed_path IS NULL THEN '' ELSE convert_from(raw_body, 'UTF8') END
            FROM inbound_events
            WHERE (\(channelID)::uuid IS NULL OR channel_id = \(channelID))
                AND (\(organizationID)::text IS NULL OR organization_id = \(organizationID))
                AND (cardinality(\(states.map(\.rawValue))::text[]) = 0 OR state = ANY(\(states.map(\.rawValue))::text[]))
                AND (NOT \(hiddenOnly) OR hidden)
                AND (\(cursor?.0)::timestamptz IS NULL OR (received_at, id) < (\(cursor?.0), \(cursor?.1)))
            ORDER BY received_at DESC, id DESC LIMIT \(limit)
            """,
            logger: self.logger)
        var result: [StoredInboundRow] = []
        for try await row in rows.decode((UUID, String, UUID?, String, ByteBuffer, Int, String, Date, String).self) {
            result.append(
                StoredInboundRow(
                    id: row.0, organizationID: row.1, channelID: row.2,
                    state: StoredInboundState(rawValue: row.3) ?? .pending, event: Array(buffer: row.4),
                    attempts: row.5, lastError: row.6, receivedAt: row.7, rawText: row.8))
        }
        return result
    }

    /// DEAD_LETTERED (and, by id, REJECTED and HELD) rows back to PENDING, due now with their
    /// tries reset; returns how many. `organizationID` nil: any organisation (operators).
    func replay(ids: [UUID]?, channelID: UUID?, organizationID: String?, now: Date) async throws -> Int {
        let rows = try await self.client.query(
            """
            WITH replayed AS (
                UPDATE inbound_events SET state = 'pending', attempts = 0, next_attempt_at = \(now), last_error = NULL
                WHERE (\(organizationID)::text IS NULL OR organization_id = \(organizationID))
                    AND (CASE WHEN \(ids == nil) THEN state = 'dead_lettered'
                        AND (\(channelID)::uuid IS NULL OR channel_id = \(channelID))
                        ELSE id = ANY(\(ids ?? [])::uuid[]) AND state IN ('dead_lettered', 'rejected', 'held') END)
                RETURNING id
            )
            SELECT (SELECT count(*) FROM replayed)::bigint, pg_notify(\(Self.notifyChannel), '')::text
            """,
            logger: self.logger)
        for try await (count, _) in rows.decode((Int64, String).self) { return Int(count) }
        return 0
    }

    /// The UNPARSED rows among `ids` with the request they came in, to parse again.
    func unparsed(ids: [UUID], organizationID: String?) async throws
        -> [(id: UUID, channelID: UUID, path: String, delivery: StoredDelivery)]
    {
        let rows = try await self.client.query(
            """
            SELECT e.id, e.channel_id, e.unparsed_path, d.id, d.platform, d.channel_id, d.path, d.query, d.public_url,
                d.headers::text, d.raw_body, d.received_at
            FROM inbound_events AS e JOIN inbound_deliveries AS d ON d.id = e.delivery_id
            WHERE e.id = ANY(\(ids)::uuid[]) AND e.state = 'unparsed'
                AND (\(organizationID)::text IS NULL OR e.organization_id = \(organizationID))
            """,
            logger: self.logger)
        var result: [(id: UUID, channelID: UUID, path: String, delivery: StoredDelivery)] = []
        for try await row in rows.decode(
            (UUID, UUID, String, UUID, String, UUID?, String, String, String, String, ByteBuffer, Date).self)
        {
            let pairs = (try? JSONDecoder().decode([[String]].self, from: Data(row.9.utf8))) ?? []
            let headers = pairs.compactMap { pair in
                pair.count == 2 ? WebhookRequest.Header(name: pair[0], value: pair[1]) : nil
            }
            result.append(
                (
                    row.0, row.1, row.2,
                    StoredDelivery(
                        id: row.3, platform: Platform(rawValue: row.4) ?? .facebook, channelID: row.5, path: row.6,
                        query: row.7, publicURL: row.8, headers: headers, body: Array(buffer: row.10),
                        receivedAt: row.11)
                ))
        }
        return result
    }

    /// An UNPARSED row after parsing it again: DELIVERED (`reparsed`) when its entry now parses,
    /// else still UNPARSED with the new error.
    func settleReparsed(_ id: UUID, parsed: Bool, error: String?) async throws {
        try await self.client.query(
            """
            UPDATE inbound_events SET state = CASE WHEN \(parsed) THEN 'delivered' ELSE 'unparsed' END,
                outcome = CASE WHEN \(parsed) THEN 'reparsed' ELSE outcome END,
                last_error = CASE WHEN \(parsed) THEN NULL ELSE \(error) END
            WHERE id = \(id) AND state = 'unparsed'
            """,
            logger: self.logger)
    }

    /// Counts and times of one channel's rows, its counters and last error.
    func health(channelID: UUID) async throws -> InboundHealth {
        var health = InboundHealth()
        let counts = try await self.client.query(
            """
            SELECT state, count(*)::bigint, count(*) FILTER (WHERE hidden)::bigint, max(received_at), min(received_at)
            FROM inbound_events WHERE channel_id = \(channelID) GROUP BY state
            """,
            logger: self.logger)
        for try await (state, count, hidden, latest, oldest) in counts.decode((String, Int64, Int64, Date?, Date?).self)
        {
            guard let state = StoredInboundState(rawValue: state) else { continue }
            health.counts[state] = count
            health.accepted += count
            health.hidden += hidden
            if let latest, health.lastEventAt.map({ latest > $0 }) ?? true { health.lastEventAt = latest }
            if state == .pending { health.oldestPendingAt = oldest }
        }
        let counters = try await self.client.query(
            "SELECT name, value FROM inbound_counters WHERE scope = \(channelID.text)", logger: self.logger)
        for try await (name, value) in counters.decode((String, Int64).self) { health.counters[name] = value }
        let errors = try await self.client.query(
            """
            SELECT last_error, coalesce(last_error_reason, ''), last_error_at FROM channels
            WHERE id = \(channelID) AND last_error IS NOT NULL AND last_error_at IS NOT NULL
            """,
            logger: self.logger)
        for try await (text, reason, at) in errors.decode((String, String, Date).self) {
            health.lastError = (text, reason, at)
        }
        // MAYBE_SENT (FAILED with the reason maybe_sent) counted apart under its own word.
        let deliveries = try await self.client.query(
            """
            SELECT CASE WHEN failure_reason = 'maybe_sent' THEN 'maybe_sent' ELSE state END, count(*)::bigint
            FROM outbound_deliveries WHERE channel_id = \(channelID) GROUP BY 1
            """,
            logger: self.logger)
        for try await (state, count) in deliveries.decode((String, Int64).self) { health.deliveries[state] = count }
        return health
    }
}

import InboxKit
import Logging
import NIOCore
import PostgresNIO

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// A row the relay claimed.
struct ClaimedEvent: Sendable {
    var id: UUID
    var organizationID: String
    var channelID: UUID
    var platform: Platform
    var event: [UInt8]
    /// Tries so far, this one included.
    var attempts: Int
    var receivedAt: Date
}

/// Where a claimed row goes after a round.
struct RelaySettlement: Sendable {
    var id: UUID
    var state: StoredInboundState
    var outcome: String?
    var error: String?
    /// When a PENDING row comes due again (ignored for the other states).
    var nextAttemptAt: Date
    /// Whether this round counts as one of the event's bounded tries: a failure of the event itself
    /// does; policy- or conversation-service being unreachable does not (an outage delays events,
    /// it never dead-letters them).
    var countsAsTry = true
}

extension InboundLog {
    /// Locks up to `limit` due PENDING rows for the round that `connection`'s transaction is
    /// (`FOR UPDATE SKIP LOCKED`: two relays never take one row at once). The locks are held while
    /// the round calls policy and conversation-service and are released by its commit, which also
    /// records the outcome: one write per row and round. A relay that dies mid-round releases them
    /// at once (its transaction aborts); conversation-service's idempotent ingest makes the repeated
    /// send harmless (DUPLICATE).
    func lockPending(limit: Int, now: Date, on connection: PostgresConnection) async throws -> [ClaimedEvent] {
        let rows = try await connection.query(
            """
            SELECT id, organization_id, channel_id, platform, event, attempts + 1, received_at FROM inbound_events
            WHERE state = 'pending' AND next_attempt_at <= \(now)
            ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """,
            logger: self.logger)
        var claimed: [ClaimedEvent] = []
        for try await row in rows.decode((UUID, String, UUID, String, ByteBuffer, Int, Date).self) {
            claimed.append(
                ClaimedEvent(
                    id: row.0, organizationID: row.1, channelID: row.2,
                    platform: Platform(rawValue: row.3) ?? .facebook,
                    event: Array(buffer: row.4), attempts: row.5, receivedAt: row.6))
        }
        return claimed.sorted { $0.receivedAt < $1.receivedAt }
    }

    /// Applies a round's outcome to its rows in one statement, counting the try.
    func settle(_ settlements: [RelaySettlement], now: Date, on connection: PostgresConnection) async throws {
        guard !settlements.isEmpty else { return }
        try await connection.query(
            """
            UPDATE inbound_events AS e SET state = s.state, outcome = coalesce(NULLIF(s.outcome, ''), e.outcome),
                attempts = e.attempts + CASE WHEN s.counts THEN 1 ELSE 0 END,
                last_error = NULLIF(s.error, ''), next_attempt_at = s.next_attempt_at,
                relayed_at = CASE WHEN s.state IN ('delivered', 'echo') THEN \(now) ELSE e.relayed_at END
            FROM unnest(\(settlements.map(\.id))::uuid[], \(settlements.map(\.state.rawValue))::text[],
                \(settlements.map { $0.outcome ?? "" })::text[], \(settlements.map { $0.error ?? "" })::text[],
                \(settlements.map(\.nextAttemptAt))::timestamptz[], \(settlements.map(\.countsAsTry))::boolean[])
                AS s(id, state, outcome, error, next_attempt_at, counts)
            WHERE e.id = s.id
            """,
            logger: self.logger)
    }

    /// The (organisation, platform, channel) triples that have HELD events.
    func heldScopes() async throws -> [(organizationID: String, platform: Platform, channelID: UUID)] {
        let rows = try await self.client.query(
            "SELECT DISTINCT organization_id, platform, channel_id FROM inbound_events WHERE state = 'held'",
            logger: self.logger)
        var result: [(organizationID: String, platform: Platform, channelID: UUID)] = []
        for try await (organization, platform, channel) in rows.decode((String, String, UUID).self) {
            guard let platform = Platform(rawValue: platform) else { continue }
            result.append((organization, platform, channel))
        }
        return result
    }

    /// HELD events back to PENDING (due now), of an organisation or one of its channels; returns
    /// how many.
    @discardableResult
    func releaseHeld(organizationID: String, channelID: UUID?, now: Date) async throws -> Int {
        let rows = try await self.client.query(
            """
            WITH released AS (
                UPDATE inbound_events SET state = 'pending', next_attempt_at = \(now), attempts = 0, last_error = NULL
                WHERE state = 'held' AND organization_id = \(organizationID)
                    AND (\(channelID)::uuid IS NULL OR channel_id = \(channelID))
                RETURNING id
            )
            SELECT (SELECT count(*) FROM released)::bigint, pg_notify(\(Self.notifyChannel), '')::text
            """,
            logger: self.logger)
        for try await (count, _) in rows.decode((Int64, String).self) { return Int(count) }
        return 0
    }

    /// Gives UNROUTED rows of accounts that now have a connected channel to that channel (PENDING,
    /// or AWAITING_CONTENT / UNPARSED as they were received). A row already stored for the channel
    /// (the platform sent it again after the connection) is dropped instead: nothing twice.
    /// Returns how many rows were routed.
    @discardableResult
    func reroute(platform: Platform? = nil, accountID: String? = nil) async throws -> Int {
        try await self.client.withTransaction(logger: self.logger) { connection in
            try await connection.query(
                """
                DELETE FROM inbound_events AS u USING channels AS c, inbound_events AS r
                WHERE u.state = 'unrouted' AND c.platform = u.platform AND c.external_account_id = u.platform_account_id
                    AND c.status <> 'disconnected' AND r.channel_id = c.id AND r.platform_event_id = u.platform_event_id
                    AND (\(platform?.rawValue)::text IS NULL OR u.platform = \(platform?.rawValue))
                    AND (\(accountID)::text IS NULL OR u.platform_account_id = \(accountID))
                """,
                logger: self.logger)
            let rows = try await connection.query(
                """
                WITH routed AS (
                    UPDATE inbound_events AS u SET channel_id = c.id, organization_id = c.organization_id,
                        next_attempt_at = now(),
                        state = CASE WHEN u.unparsed_path IS NOT NULL THEN 'unparsed'
                            WHEN u.content_fetch IS NOT NULL THEN 'awaiting_content' ELSE 'pending' END
                    FROM channels AS c
                    WHERE u.state = 'unrouted' AND c.platform = u.platform AND c.external_account_id = u.platform_account_id
                        AND c.status <> 'disconnected'
                        AND (\(platform?.rawValue)::text IS NULL OR u.platform = \(platform?.rawValue))
                        AND (\(accountID)::text IS NULL OR u.platform_account_id = \(accountID))
                    RETURNING u.id
                )
                SELECT (SELECT count(*) FROM routed)::bigint, pg_notify(\(Self.notifyChannel), '')::text
                """,
                logger: self.logger)
            for try await (count, _) in rows.decode((Int64, String).self) { return Int(count) }
            return 0
        }
    }
}
